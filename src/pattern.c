/*
 * pattern.c: regular expressions over a trace's activity sequence, collmine.trace_matches().
 *
 * Syntax (documented in docs/trace.md):
 *   "Activity Name"     one event with exactly that activity (\" and \\ escape inside quotes)
 *   .                   any one event
 *   [ "A" "B" ]         one event with any of the listed activities
 *   [^ "A" "B" ]        one event with none of them
 *   ( ... )             grouping;   x | y   alternation
 *   x*  x+  x?  x{n}  x{n,}  x{n,m}   repetition (n, m at most 1000)
 * The pattern must match the whole trace; write .* at either end to search inside it.
 *
 * The pattern compiles to a Thompson NFA that is simulated in lock-step (Pike VM), so matching
 * costs O(events x pattern size) and never backtracks. The compiled program is cached per call
 * site. Activity literals are resolved against each trace's dictionary once per trace; a
 * literal that none of a statement's traces contained is reported when it ends (name_watch.c).
 */
#include "trace.h"

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "name_watch.h"

PG_FUNCTION_INFO_V1(trace_matches);

#define PAT_MAX_PROGRAM	20000	/* instructions after expanding repetitions */
#define PAT_MAX_EXPANDED 100000	/* syntax nodes after expanding repetitions (empty ones too) */
#define PAT_MAX_REPEAT	1000

typedef enum
{
	OP_SYM,						/* one event in (or, negated, not in) a literal set */
	OP_ANY,						/* one event */
	OP_SPLIT,					/* continue at x and at y */
	OP_JMP,						/* continue at x */
	OP_MATCH
} PatOp;

typedef struct PatInst
{
	PatOp		op;
	bool		negate;			/* OP_SYM: match events NOT in the set */
	int32		x,
				y;				/* jump targets; OP_SYM: first literal and count */
} PatInst;

/* An abstract syntax tree node, compiled to instructions after parsing. */
typedef enum
{
	N_SET, N_ANY, N_CAT, N_ALT, N_REP, N_EMPTY
} NodeKind;

typedef struct PatNode
{
	NodeKind	kind;
	bool		negate;			/* N_SET */
	int32		first,
				count;			/* N_SET: literal range */
	int32		min,
				max;			/* N_REP: max = -1 for unbounded */
	struct PatNode *a,
			   *b;
} PatNode;

typedef struct Pattern
{
	char	   *source;			/* pattern text, for the cache check */
	int32		source_len;
	int32		nlits;
	char	  **lits;			/* literal activity names */
	int32	   *litlens;
	int32		ninst;
	PatInst    *prog;
} Pattern;

/* What a call site keeps: its compiled pattern, and the watch of the pattern's literals. */
typedef struct PatternCache
{
	Pattern    *pat;
	void	   *slot;			/* name_watch's own */
	NameWatch  *watch;			/* NULL when the call site is not watched */
	int32	   *litidx;			/* each literal's index in the watch */
} PatternCache;

typedef struct PatParser
{
	const char *start;
	const char *p;
	const char *end;
	Pattern    *pat;
	int32		litcap;
	int			depth;
} PatParser;

static PatNode *parse_alt(PatParser *ps);

/* Syntax errors carry SQLSTATE 2201B and the offending position. */
static void
pat_error(PatParser *ps, const char *msg)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_REGULAR_EXPRESSION),
			 errmsg("invalid trace pattern: %s at character %d", msg, (int) (ps->p - ps->start) + 1),
			 errhint("Quote activities in double quotes, e.g. '\"Invoice Generated\" .* \"Invoice Settled\"'.")));
}

/* New AST node. */
static PatNode *
node(NodeKind kind, PatNode *a, PatNode *b)
{
	PatNode    *n = palloc0(sizeof(PatNode));

	n->kind = kind;
	n->a = a;
	n->b = b;
	return n;
}

/* Skip blanks between tokens. */
static void
skip_ws(PatParser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

/* Read a "quoted" activity into the literal table; returns its index. */
static int32
parse_literal(PatParser *ps)
{
	Pattern    *pat = ps->pat;
	StringInfoData buf;

	initStringInfo(&buf);
	ps->p++;					/* opening quote */
	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		if (ps->p >= ps->end)
			pat_error(ps, "unterminated activity name");
		if (*ps->p == '"')
			break;
		if (*ps->p == '\\')
		{
			ps->p++;
			if (ps->p >= ps->end || (*ps->p != '"' && *ps->p != '\\'))
				pat_error(ps, "only \\\" and \\\\ may be escaped");
		}
		appendStringInfoChar(&buf, *ps->p++);
	}
	ps->p++;
	if (pat->nlits == ps->litcap)
	{
		ps->litcap *= 2;
		pat->lits = repalloc(pat->lits, sizeof(char *) * ps->litcap);
		pat->litlens = repalloc(pat->litlens, sizeof(int32) * ps->litcap);
	}
	pat->lits[pat->nlits] = buf.data;
	pat->litlens[pat->nlits] = buf.len;
	return pat->nlits++;
}

/* Read a non-negative repetition count. */
static int32
parse_count(PatParser *ps)
{
	int32		v = 0;
	bool		any = false;

	skip_ws(ps);
	while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
	{
		v = v * 10 + (*ps->p++ - '0');
		any = true;
		if (v > PAT_MAX_REPEAT)
			pat_error(ps, "repetition count above 1000");
	}
	if (!any)
		pat_error(ps, "a repetition count");
	skip_ws(ps);
	return v;
}

/* atom: literal, ., [set], (group) */
static PatNode *
parse_atom(PatParser *ps)
{
	PatNode    *n;

	skip_ws(ps);
	if (ps->p >= ps->end)
		pat_error(ps, "an activity, \".\", \"[\" or \"(\" expected");
	switch (*ps->p)
	{
		case '"':
			n = node(N_SET, NULL, NULL);
			n->first = parse_literal(ps);
			n->count = 1;
			return n;
		case '.':
			ps->p++;
			return node(N_ANY, NULL, NULL);
		case '[':
			ps->p++;
			n = node(N_SET, NULL, NULL);
			skip_ws(ps);
			if (ps->p < ps->end && *ps->p == '^')
			{
				n->negate = true;
				ps->p++;
			}
			n->first = ps->pat->nlits;
			for (;;)
			{
				CHECK_FOR_INTERRUPTS();
				skip_ws(ps);
				if (ps->p >= ps->end)
					pat_error(ps, "unterminated activity set");
				if (*ps->p == ']')
					break;
				if (*ps->p != '"')
					pat_error(ps, "a quoted activity inside [ ]");
				(void) parse_literal(ps);
				n->count++;
			}
			ps->p++;
			if (n->count == 0)
				pat_error(ps, "an activity set needs at least one activity");
			return n;
		case '(':
			ps->p++;
			if (++ps->depth > 100)
				pat_error(ps, "groups nested deeper than 100");
			n = parse_alt(ps);
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ')')
				pat_error(ps, "\")\" expected");
			ps->p++;
			ps->depth--;
			return n;
		default:
			pat_error(ps, "an activity in double quotes, \".\", \"[\" or \"(\" expected");
	}
	return NULL;				/* not reached */
}

/* item: atom followed by any number of quantifiers */
static PatNode *
parse_item(PatParser *ps)
{
	PatNode    *n = parse_atom(ps);

	for (;;)
	{
		PatNode    *r;

		CHECK_FOR_INTERRUPTS();
		skip_ws(ps);
		if (ps->p >= ps->end)
			return n;
		if (*ps->p != '*' && *ps->p != '+' && *ps->p != '?' && *ps->p != '{')
			return n;
		r = node(N_REP, n, NULL);
		switch (*ps->p++)
		{
			case '*':
				r->min = 0, r->max = -1;
				break;
			case '+':
				r->min = 1, r->max = -1;
				break;
			case '?':
				r->min = 0, r->max = 1;
				break;
			default:
				r->min = parse_count(ps);
				r->max = r->min;
				if (ps->p < ps->end && *ps->p == ',')
				{
					ps->p++;
					skip_ws(ps);
					r->max = (ps->p < ps->end && *ps->p == '}') ? -1 : parse_count(ps);
				}
				if (ps->p >= ps->end || *ps->p != '}')
					pat_error(ps, "\"}\" expected");
				ps->p++;
				if (r->max >= 0 && r->max < r->min)
					pat_error(ps, "repetition {n,m} with m < n");
		}
		n = r;
	}
}

/* seq: items until | or ) or end */
static PatNode *
parse_seq(PatParser *ps)
{
	PatNode    *n = NULL;

	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p == '|' || *ps->p == ')')
			return n ? n : node(N_EMPTY, NULL, NULL);
		n = n ? node(N_CAT, n, parse_item(ps)) : parse_item(ps);
	}
}

/* alt: seq ('|' seq)* */
static PatNode *
parse_alt(PatParser *ps)
{
	PatNode    *n = parse_seq(ps);

	while (ps->p < ps->end && *ps->p == '|')
	{
		CHECK_FOR_INTERRUPTS();
		ps->p++;
		n = node(N_ALT, n, parse_seq(ps));
	}
	return n;
}

/* Room for one more instruction; index of it. */
static int32
emit(Pattern *pat, int32 *cap, PatOp op)
{
	if (pat->ninst >= PAT_MAX_PROGRAM)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("trace pattern too complex: more than %d instructions after expanding repetitions", PAT_MAX_PROGRAM),
				 errhint("Use * or + instead of large {n,m} counts.")));
	if (pat->ninst == *cap)
	{
		*cap *= 2;
		pat->prog = repalloc(pat->prog, sizeof(PatInst) * *cap);
	}
	memset(&pat->prog[pat->ninst], 0, sizeof(PatInst));
	pat->prog[pat->ninst].op = op;
	return pat->ninst++;
}

/* Thompson construction: append code for n so that control falls through at the end. */
static void
compile(Pattern *pat, int32 *cap, PatNode *n)
{
	int32		i,
				split,
				jmp;

	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	switch (n->kind)
	{
		case N_EMPTY:
			break;
		case N_ANY:
			(void) emit(pat, cap, OP_ANY);
			break;
		case N_SET:
			i = emit(pat, cap, OP_SYM);
			pat->prog[i].negate = n->negate;
			pat->prog[i].x = n->first;
			pat->prog[i].y = n->count;
			break;
		case N_CAT:
			compile(pat, cap, n->a);
			compile(pat, cap, n->b);
			break;
		case N_ALT:
			split = emit(pat, cap, OP_SPLIT);
			pat->prog[split].x = pat->ninst;
			compile(pat, cap, n->a);
			jmp = emit(pat, cap, OP_JMP);
			pat->prog[split].y = pat->ninst;
			compile(pat, cap, n->b);
			pat->prog[jmp].x = pat->ninst;
			break;
		case N_REP:
			for (i = 0; i < n->min; i++)
				compile(pat, cap, n->a);
			if (n->max < 0)
			{
				/* L: split body, out; body; jmp L */
				split = emit(pat, cap, OP_SPLIT);
				pat->prog[split].x = pat->ninst;
				compile(pat, cap, n->a);
				jmp = emit(pat, cap, OP_JMP);
				pat->prog[jmp].x = split;
				pat->prog[split].y = pat->ninst;
			}
			else
			{
				int32	   *splits = palloc(sizeof(int32) * Max(n->max - n->min, 1));
				int32		k;

				for (k = 0; k < n->max - n->min; k++)
				{
					splits[k] = emit(pat, cap, OP_SPLIT);
					pat->prog[splits[k]].x = pat->ninst;
					compile(pat, cap, n->a);
				}
				for (k = 0; k < n->max - n->min; k++)
					pat->prog[splits[k]].y = pat->ninst;
				pfree(splits);
			}
			break;
	}
}

/*
 * Syntax nodes that compile() visits once repetitions are expanded, saturating above the
 * limit. Counting nodes, not instructions, bounds the work on repeated empty groups, which
 * emit nothing: (((){1000}){1000}){1000} would otherwise take 10^9 steps.
 */
static int64
expanded_size(const PatNode *n)
{
	int64		size = 1;
	int64		reps;

	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	switch (n->kind)
	{
		case N_CAT:
		case N_ALT:
			size += expanded_size(n->a) + expanded_size(n->b);
			break;
		case N_REP:
			reps = n->max < 0 ? (int64) n->min + 1 : (int64) n->max;
			size += reps * expanded_size(n->a);
			break;
		default:
			break;
	}
	return Min(size, (int64) PAT_MAX_EXPANDED + 1);
}

/* Parse and compile pattern text into cxt. */
static Pattern *
pattern_compile(const char *src, int len, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	Pattern    *pat = palloc0(sizeof(Pattern));
	PatParser	ps;
	PatNode    *root;
	int32		cap = 64;

	pat->source = palloc(len + 1);
	memcpy(pat->source, src, len);
	pat->source[len] = '\0';
	pat->source_len = len;
	ps.litcap = 8;
	pat->lits = palloc(sizeof(char *) * ps.litcap);
	pat->litlens = palloc(sizeof(int32) * ps.litcap);
	ps.start = pat->source;
	ps.p = pat->source;
	ps.end = pat->source + len;
	ps.pat = pat;
	ps.depth = 0;

	root = parse_alt(&ps);
	skip_ws(&ps);
	if (ps.p < ps.end)
		pat_error(&ps, *ps.p == ')' ? "unbalanced \")\"" : "unexpected character");

	if (expanded_size(root) > PAT_MAX_EXPANDED)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("trace pattern too complex: more than %d steps after expanding repetitions", PAT_MAX_EXPANDED),
				 errdetail("Each {n,m} repeats its operand m times; nested counts multiply."),
				 errhint("Use * or + instead of large or nested {n,m} counts.")));
	pat->prog = palloc(sizeof(PatInst) * cap);
	compile(pat, &cap, root);
	(void) emit(pat, &cap, OP_MATCH);
	MemoryContextSwitchTo(old);
	return pat;
}

/* Add state pc (and everything reachable by jumps and splits) to a thread list. */
static void
add_thread(const Pattern *pat, int32 *list, int32 *n, int32 *mark, int32 gen, int32 pc, int32 *stack)
{
	int32		top = 0;

	stack[top++] = pc;
	while (top > 0)
	{
		pc = stack[--top];
		if (mark[pc] == gen)
			continue;
		mark[pc] = gen;
		switch (pat->prog[pc].op)
		{
			case OP_JMP:
				stack[top++] = pat->prog[pc].x;
				break;
			case OP_SPLIT:
				stack[top++] = pat->prog[pc].y;
				stack[top++] = pat->prog[pc].x;
				break;
			default:
				list[(*n)++] = pc;
		}
	}
}

/*
 * Resolve the literals against this trace's dictionary. For each literal set (starting at
 * literal x), setacts[x .. x + setlen[x]) lists the distinct dictionary entries it names that
 * occur in the trace, so a test costs at most the trace's activity count, however long the set.
 */
static void
resolve_sets(const PatternCache *cache, const TraceData *t, int32 *setacts, int32 *setlen)
{
	const Pattern *pat = cache->pat;
	int32	   *litmap = palloc(sizeof(int32) * Max(pat->nlits, 1));
	int32	   *seen = palloc0(sizeof(int32) * Max(t->nacts, 1));
	int32		k,
				pc;

	for (k = 0; k < pat->nlits; k++)
	{
		CHECK_FOR_INTERRUPTS();
		litmap[k] = trace_find_activity(t, pat->lits[k], pat->litlens[k]);
		setlen[k] = -1;
		if (litmap[k] >= 0 && cache->litidx != NULL)
			name_watch_seen(cache->watch, cache->litidx[k]);
	}
	for (pc = 0; pc < pat->ninst; pc++)
	{
		const PatInst *in = &pat->prog[pc];

		if (in->op != OP_SYM || setlen[in->x] >= 0)
			continue;
		setlen[in->x] = 0;
		for (k = in->x; k < in->x + in->y; k++)
		{
			int32		a = litmap[k];

			/* seen[a] holds 1 + the set that last listed entry a */
			if (a < 0 || seen[a] == in->x + 1)
				continue;
			seen[a] = in->x + 1;
			setacts[in->x + setlen[in->x]++] = a;
		}
	}
	pfree(litmap);
	pfree(seen);
}

/* Does an event whose dictionary entry is a match instruction in? (sets from resolve_sets) */
static bool
sym_matches(const PatInst *in, const int32 *setacts, const int32 *setlen, int32 a)
{
	bool		found = false;
	int32		k;

	for (k = in->x; k < in->x + setlen[in->x] && !found; k++)
		found = (setacts[k] == a);
	return found != in->negate;
}

/* Pike VM: run all threads in lock-step over the trace; true when MATCH is live at the end. */
static bool
pattern_run(const PatternCache *cache, const TraceData *t)
{
	const Pattern *pat = cache->pat;
	int32	   *setacts = palloc(sizeof(int32) * Max(pat->nlits, 1));
	int32	   *setlen = palloc(sizeof(int32) * Max(pat->nlits, 1));
	int32	   *clist = palloc(sizeof(int32) * pat->ninst);
	int32	   *nlist = palloc(sizeof(int32) * pat->ninst);
	int32	   *mark = palloc(sizeof(int32) * pat->ninst);
	int32	   *stack = palloc(sizeof(int32) * (pat->ninst * 2 + 2));
	int32		cn = 0,
				nn,
				gen = 1,
				i,
				k;
	bool		matched = false;

	resolve_sets(cache, t, setacts, setlen);
	for (k = 0; k < pat->ninst; k++)
		mark[k] = 0;
	add_thread(pat, clist, &cn, mark, gen, 0, stack);

	for (i = 0; i < t->nevents && cn > 0; i++)
	{
		int32		a = TraceAct(t)[i];
		int32	   *tmp;

		CHECK_FOR_INTERRUPTS();
		gen++;
		nn = 0;
		for (k = 0; k < cn; k++)
		{
			const PatInst *in = &pat->prog[clist[k]];

			if (in->op == OP_ANY || (in->op == OP_SYM && sym_matches(in, setacts, setlen, a)))
				add_thread(pat, nlist, &nn, mark, gen, clist[k] + 1, stack);
		}
		tmp = clist;
		clist = nlist;
		nlist = tmp;
		cn = nn;
	}
	if (i == t->nevents)
		for (k = 0; k < cn; k++)
			if (pat->prog[clist[k]].op == OP_MATCH)
				matched = true;
	pfree(setacts);
	pfree(setlen);
	pfree(clist);
	pfree(nlist);
	pfree(mark);
	pfree(stack);
	return matched;
}

/* Watch the pattern's literals from the call site's first trace on (name_watch.c). */
static void
pattern_watch(FunctionCallInfo fcinfo, PatternCache *cache)
{
	int32		k;

	cache->watch = name_watch(fcinfo, &cache->slot, "trace_matches", 0x2);
	if (!name_watch_first_call(cache->watch))
		return;
	cache->litidx = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(int32) * Max(cache->pat->nlits, 1));
	for (k = 0; k < cache->pat->nlits; k++)
		cache->litidx[k] = name_watch_add(cache->watch, cache->pat->lits[k], cache->pat->litlens[k]);
}

/* trace_matches(trace, pattern): compile once per call site, run per trace. */
Datum
trace_matches(PG_FUNCTION_ARGS)
{
	TraceData  *t = PG_GETARG_TRACE_P(0);
	text	   *ptext = PG_GETARG_TEXT_PP(1);
	const char *src = VARDATA_ANY(ptext);
	int			len = VARSIZE_ANY_EXHDR(ptext);
	PatternCache *cache = (PatternCache *) fcinfo->flinfo->fn_extra;

	if (cache == NULL)
		fcinfo->flinfo->fn_extra = cache =
			MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(PatternCache));
	if (cache->pat == NULL || cache->pat->source_len != len || memcmp(cache->pat->source, src, len) != 0)
		cache->pat = pattern_compile(src, len, fcinfo->flinfo->fn_mcxt);
	pattern_watch(fcinfo, cache);
	PG_RETURN_BOOL(pattern_run(cache, t));
}
