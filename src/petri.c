/*
 * petri.c: the text form of a labelled Petri net, its validation, and petri_net_transitions().
 *
 * A net is a list of statements, one per line (or separated by ';'); '#' starts a comment:
 *
 *   places  start c1 c2 end
 *   initial start
 *   final   end
 *   transition "register request": start -> c1 c2
 *   silent  skip1: c1 -> c2
 *
 * Places are identifiers (letters, digits, '_' and '.'); a place listed twice on one side of a
 * transition, or in a marking, counts twice (arc weight 2, two tokens). Every error is an
 * ereport with SQLSTATE 22P02, the line number and a hint showing the right form.
 */
#include "petri.h"

#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "fingerprint.h"

PG_FUNCTION_INFO_V1(cm_petri_net_transitions);

#define PN_HINT "A net is written as lines: places P...; initial P...; final P...; " \
	"transition \"activity\": P... -> P...; silent NAME: P... -> P..."

typedef struct PnParser
{
	const char *p;
	const char *end;
	int			line;
	PnNet	   *net;
	int			cap_places;
	int			cap_trans;
	int			cap_labels;
	PnArc	   *initial;		/* the marking statements, turned into vectors at the end */
	int			ninitial;
	PnArc	   *final;
	int			nfinal;
} PnParser;

typedef struct NetCache
{
	MemoryContext cxt;
	Size		keylen;
	char	   *key;
	PnNet		net;
} NetCache;

/* Report a malformed net at the parser's current line. */
static cm_noreturn void
pn_error(PnParser *ps, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid Petri net at line %d: %s", ps->line, what),
			 errhint(PN_HINT)));
	pg_unreachable();
}

/* Report a malformed net as a whole (something missing at the end of the input). */
static cm_noreturn void
pn_error_net(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid Petri net: %s", what),
			 errhint(PN_HINT)));
	pg_unreachable();
}

/* Skip blanks and comments, but not the end of a statement. */
static void
pn_skip_blank(PnParser *ps)
{
	while (ps->p < ps->end)
	{
		if (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\r')
			ps->p++;
		else if (*ps->p == '#')
		{
			while (ps->p < ps->end && *ps->p != '\n')
				ps->p++;
		}
		else
			break;
	}
}

/* At the end of a statement (newline, ';' or end of input)? */
static bool
pn_at_stmt_end(PnParser *ps)
{
	pn_skip_blank(ps);
	return ps->p >= ps->end || *ps->p == '\n' || *ps->p == ';';
}

/* Identifier characters of places and silent transitions. */
static bool
pn_ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		c == '_' || c == '.';
}

/* Read an identifier; NULL when there is none here. */
static char *
pn_ident(PnParser *ps)
{
	const char *s;

	pn_skip_blank(ps);
	s = ps->p;
	while (ps->p < ps->end && pn_ident_char(*ps->p))
		ps->p++;
	return ps->p == s ? NULL : pnstrdup(s, ps->p - s);
}

/* Read a double-quoted label ("" inside stands for one quote). */
static char *
pn_label(PnParser *ps, int *len)
{
	StringInfoData buf;

	pn_skip_blank(ps);
	if (ps->p >= ps->end || *ps->p != '"')
		pn_error(ps, "expected a double-quoted activity label");
	ps->p++;
	initStringInfo(&buf);
	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		if (ps->p >= ps->end || *ps->p == '\n')
			pn_error(ps, "unterminated activity label");
		if (*ps->p == '"')
		{
			if (ps->p + 1 < ps->end && ps->p[1] == '"')
			{
				appendStringInfoChar(&buf, '"');
				ps->p += 2;
				continue;
			}
			ps->p++;
			break;
		}
		if (*ps->p == '\0')
			pn_error(ps, "activity label contains a NUL byte");
		appendStringInfoChar(&buf, *ps->p++);
	}
	if (buf.len == 0)
		pn_error(ps, "empty activity label");
	*len = buf.len;
	return buf.data;
}

/* Expect one punctuation string ("->" or ":"). */
static void
pn_expect(PnParser *ps, const char *tok)
{
	size_t		n = strlen(tok);

	pn_skip_blank(ps);
	if ((size_t) (ps->end - ps->p) < n || memcmp(ps->p, tok, n) != 0)
	{
		char		msg[64];

		snprintf(msg, sizeof(msg), "expected \"%s\"", tok);
		pn_error(ps, msg);
	}
	ps->p += n;
}

/* Index of a declared place, or an error naming the unknown place. */
static int
pn_place(PnParser *ps, const char *name)
{
	int			i;

	for (i = 0; i < ps->net->nplaces; i++)
		if (strcmp(ps->net->places[i], name) == 0)
			return i;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid Petri net at line %d: unknown place \"%s\"", ps->line, name),
			 errhint("Declare every place in a \"places\" line before using it.")));
	pg_unreachable();
}

/* Read place names up to stop (or the end of the statement) into arcs with weights. */
static PnArc *
pn_arcs(PnParser *ps, const char *stop, int *narcs)
{
	PnArc	   *arcs = palloc(sizeof(PnArc) * 4);
	int			cap = 4,
				n = 0,
				i;

	for (;;)
	{
		char	   *id;
		int			pl;

		CHECK_FOR_INTERRUPTS();
		if (pn_at_stmt_end(ps) || (stop && (size_t) (ps->end - ps->p) >= strlen(stop) &&
								   memcmp(ps->p, stop, strlen(stop)) == 0))
			break;
		id = pn_ident(ps);
		if (id == NULL)
			pn_error(ps, "expected a place name");
		pl = pn_place(ps, id);
		for (i = 0; i < n; i++)
			if (arcs[i].place == pl)
				break;
		if (i < n)
		{
			if (arcs[i].weight >= 1000)
				pn_error(ps, "arc weight above 1000");
			arcs[i].weight++;
			continue;
		}
		if (n == cap)
		{
			cap *= 2;
			arcs = repalloc(arcs, sizeof(PnArc) * cap);
		}
		arcs[n].place = pl;
		arcs[n].weight = 1;
		n++;
	}
	*narcs = n;
	return arcs;
}

/* places P...: declare places. */
static void
pn_stmt_places(PnParser *ps)
{
	PnNet	   *net = ps->net;
	char	   *id;
	int			before = net->nplaces;

	while ((id = pn_ident(ps)) != NULL)
	{
		int			i;

		CHECK_FOR_INTERRUPTS();
		for (i = 0; i < net->nplaces; i++)
			if (strcmp(net->places[i], id) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
						 errmsg("invalid Petri net at line %d: place \"%s\" is declared twice",
								ps->line, id),
						 errhint(PN_HINT)));
		if (net->nplaces >= PN_MAX_PLACES)
			pn_error(ps, "too many places (at most 10000)");
		if (net->nplaces == ps->cap_places)
		{
			ps->cap_places *= 2;
			net->places = repalloc(net->places, sizeof(char *) * ps->cap_places);
		}
		net->places[net->nplaces++] = id;
	}
	if (!pn_at_stmt_end(ps))
		pn_error(ps, "expected a place name");
	if (net->nplaces == before)
		pn_error(ps, "\"places\" lists no place");
}

/* initial P... / final P...: a marking (a place listed k times holds k tokens). */
static void
pn_stmt_marking(PnParser *ps, bool initial)
{
	PnArc	  **arcs = initial ? &ps->initial : &ps->final;
	int		   *n = initial ? &ps->ninitial : &ps->nfinal;

	if (*arcs != NULL)
		pn_error(ps, initial ? "the initial marking is given twice" : "the final marking is given twice");
	*arcs = pn_arcs(ps, NULL, n);
	if (*n == 0)
		pn_error(ps, initial ? "the initial marking is empty" : "the final marking is empty");
}

/* A marking vector over all places from the arcs of a marking statement. */
static int32 *
pn_marking(PnNet *net, const PnArc *arcs, int n, int64 *total)
{
	int32	   *m = palloc0(sizeof(int32) * net->nplaces);
	int			i;

	*total = 0;
	for (i = 0; i < n; i++)
	{
		m[arcs[i].place] = arcs[i].weight;
		*total += arcs[i].weight;
	}
	return m;
}

/* Index of a visible label, added when new. */
static int
pn_label_index(PnParser *ps, char *label, int len)
{
	PnNet	   *net = ps->net;
	int			i;

	for (i = 0; i < net->nlabels; i++)
		if (net->label_len[i] == len && memcmp(net->labels[i], label, len) == 0)
			return i;
	if (net->nlabels == ps->cap_labels)
	{
		ps->cap_labels *= 2;
		net->labels = repalloc(net->labels, sizeof(char *) * ps->cap_labels);
		net->label_len = repalloc(net->label_len, sizeof(int) * ps->cap_labels);
	}
	net->labels[net->nlabels] = label;
	net->label_len[net->nlabels] = len;
	return net->nlabels++;
}

/* transition "label": P... -> P...  or  silent NAME: P... -> P... */
static void
pn_stmt_transition(PnParser *ps, bool silent)
{
	PnNet	   *net = ps->net;
	PnTransition *t;

	if (net->nplaces == 0)
		pn_error(ps, "transitions must come after the \"places\" line");
	if (net->ntrans >= PN_MAX_TRANSITIONS)
		pn_error(ps, "too many transitions (at most 10000)");
	if (net->ntrans == ps->cap_trans)
	{
		ps->cap_trans *= 2;
		net->trans = repalloc(net->trans, sizeof(PnTransition) * ps->cap_trans);
	}
	t = &net->trans[net->ntrans];
	memset(t, 0, sizeof(PnTransition));
	t->silent = silent;
	if (silent)
	{
		int			i;

		t->name = pn_ident(ps);
		if (t->name == NULL)
			pn_error(ps, "expected the name of the silent transition");
		t->name_len = strlen(t->name);
		for (i = 0; i < net->ntrans; i++)
			if (net->trans[i].silent && strcmp(net->trans[i].name, t->name) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
						 errmsg("invalid Petri net at line %d: silent transition \"%s\" is declared twice",
								ps->line, t->name),
						 errhint(PN_HINT)));
		t->label = -1;
		net->has_silent = true;
	}
	else
	{
		t->name = pn_label(ps, &t->name_len);
		t->label = pn_label_index(ps, t->name, t->name_len);
	}
	pn_expect(ps, ":");
	t->in = pn_arcs(ps, "->", &t->nin);
	pn_expect(ps, "->");
	t->out = pn_arcs(ps, NULL, &t->nout);
	if (t->nin == 0)
		pn_error(ps, "a transition needs at least one input place");
	net->ntrans++;
}

/* Parse and validate a whole net into net (allocated in the current context). */
static void
pn_parse(PnNet *net, const char *text, int len)
{
	PnParser	ps;

	memset(net, 0, sizeof(PnNet));
	ps.p = text;
	ps.end = text + len;
	ps.line = 1;
	ps.net = net;
	ps.initial = ps.final = NULL;
	ps.ninitial = ps.nfinal = 0;
	ps.cap_places = ps.cap_trans = ps.cap_labels = 8;
	net->places = palloc(sizeof(char *) * ps.cap_places);
	net->trans = palloc(sizeof(PnTransition) * ps.cap_trans);
	net->labels = palloc(sizeof(char *) * ps.cap_labels);
	net->label_len = palloc(sizeof(int) * ps.cap_labels);

	for (;;)
	{
		char	   *kw;

		CHECK_FOR_INTERRUPTS();
		pn_skip_blank(&ps);
		if (ps.p >= ps.end)
			break;
		if (*ps.p == '\n' || *ps.p == ';')
		{
			if (*ps.p == '\n')
				ps.line++;
			ps.p++;
			continue;
		}
		kw = pn_ident(&ps);
		if (kw == NULL)
			pn_error(&ps, "expected places, initial, final, transition or silent");
		if (strcmp(kw, "places") == 0)
			pn_stmt_places(&ps);
		else if ((strcmp(kw, "initial") == 0 || strcmp(kw, "final") == 0) && net->nplaces == 0)
			pn_error(&ps, "markings must come after the \"places\" line");
		else if (strcmp(kw, "initial") == 0)
			pn_stmt_marking(&ps, true);
		else if (strcmp(kw, "final") == 0)
			pn_stmt_marking(&ps, false);
		else if (strcmp(kw, "transition") == 0)
			pn_stmt_transition(&ps, false);
		else if (strcmp(kw, "silent") == 0)
			pn_stmt_transition(&ps, true);
		else
		{
			char		msg[128];

			snprintf(msg, sizeof(msg), "unknown statement \"%.60s\"", kw);
			pn_error(&ps, msg);
		}
		if (!pn_at_stmt_end(&ps))
			pn_error(&ps, "unexpected text at the end of the statement");
	}

	if (net->nplaces == 0)
		pn_error_net("the net declares no places");
	if (ps.initial == NULL)
		pn_error_net("the net has no initial marking (add a line \"initial PLACE\")");
	if (ps.final == NULL)
		pn_error_net("the net has no final marking (add a line \"final PLACE\")");
	if (net->ntrans == 0)
		pn_error_net("the net has no transitions");

	net->initial = pn_marking(net, ps.initial, ps.ninitial, &net->ninitial);
	net->final = pn_marking(net, ps.final, ps.nfinal, &net->nfinal);
}

/* Add the arcs of one side of a transition (place, weight) to a fingerprint. */
static uint64
fp_arcs(uint64 h, const PnNet *net, const PnArc *arcs, int n)
{
	int			i;

	h = cm_fp_int(h, n);
	for (i = 0; i < n; i++)
	{
		h = cm_fp_text(h, net->places[arcs[i].place], strlen(net->places[arcs[i].place]));
		h = cm_fp_int(h, arcs[i].weight);
	}
	return h;
}

/*
 * The fingerprint of a parsed net (cm_fp_*): places, both markings and every transition with
 * its arcs, in the order written; comments, spaces and line breaks do not change it.
 */
static int64
net_fingerprint(const PnNet *net)
{
	uint64		h = cm_fp_begin("collmine.petri_net v1");
	int			i;

	h = cm_fp_int(h, net->nplaces);
	for (i = 0; i < net->nplaces; i++)
	{
		CHECK_FOR_INTERRUPTS();
		h = cm_fp_text(h, net->places[i], strlen(net->places[i]));
		h = cm_fp_int(h, net->initial[i]);
		h = cm_fp_int(h, net->final[i]);
	}
	h = cm_fp_int(h, net->ntrans);
	for (i = 0; i < net->ntrans; i++)
	{
		const PnTransition *t = &net->trans[i];

		CHECK_FOR_INTERRUPTS();
		h = cm_fp_text(h, t->name, t->name_len);
		h = cm_fp_int(h, t->silent);
		h = fp_arcs(h, net, t->in, t->nin);
		h = fp_arcs(h, net, t->out, t->nout);
	}
	return (int64) h;
}

/* Compiled net for argument argno; re-parsed only when the text differs from the cached one. */
PnNet *
pn_net_get(FunctionCallInfo fcinfo, int argno)
{
	text	   *src = PG_GETARG_TEXT_PP(argno);
	Size		keylen = VARSIZE_ANY_EXHDR(src);
	NetCache   *c = (NetCache *) fcinfo->flinfo->fn_extra;
	MemoryContext cxt;
	MemoryContext old;

	if (c != NULL && c->keylen == keylen && memcmp(c->key, VARDATA_ANY(src), keylen) == 0)
		return &c->net;
	cxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt, "collmine petri net",
								ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(cxt);
	c = palloc0(sizeof(NetCache));
	c->cxt = cxt;
	pn_parse(&c->net, VARDATA_ANY(src), keylen);
	c->net.fingerprint = net_fingerprint(&c->net);
	c->keylen = keylen;
	c->key = palloc(Max(keylen, 1));
	memcpy(c->key, VARDATA_ANY(src), keylen);
	MemoryContextSwitchTo(old);
	if (fcinfo->flinfo->fn_extra != NULL)
		MemoryContextDelete(((NetCache *) fcinfo->flinfo->fn_extra)->cxt);
	fcinfo->flinfo->fn_extra = c;
	return &c->net;
}

/* text[] of the places of some arcs, each repeated by its weight. */
static Datum
arcs_array(const PnNet *net, const PnArc *arcs, int n)
{
	Datum	   *elems;
	int			i,
				w,
				k = 0,
				total = 0;

	for (i = 0; i < n; i++)
		total += arcs[i].weight;
	elems = palloc(sizeof(Datum) * Max(total, 1));
	for (i = 0; i < n; i++)
		for (w = 0; w < arcs[i].weight; w++)
			elems[k++] = CStringGetTextDatum(net->places[arcs[i].place]);
	return PointerGetDatum(construct_array(elems, k, TEXTOID, -1, false, TYPALIGN_INT));
}

/* Validate a net and list its transitions: (transition, silent, inputs, outputs). */
Datum
cm_petri_net_transitions(PG_FUNCTION_ARGS)
{
	PnNet	   *net = pn_net_get(fcinfo, 0);
	CmSrf		srf = cm_srf_begin(fcinfo);
	int			i;

	for (i = 0; i < net->ntrans; i++)
	{
		PnTransition *t = &net->trans[i];
		Datum		values[4];
		bool		nulls[4] = {false};

		CHECK_FOR_INTERRUPTS();
		values[0] = PointerGetDatum(cstring_to_text_with_len(t->name, t->name_len));
		values[1] = BoolGetDatum(t->silent);
		values[2] = arcs_array(net, t->in, t->nin);
		values[3] = arcs_array(net, t->out, t->nout);
		cm_srf_row(&srf, values, nulls);
	}
	return (Datum) 0;
}
