/*
 * render.c: a process map as Graphviz DOT or Mermaid flowchart text (layer 6, presentation).
 *
 * Both renderings show a virtual start node with an edge to every start activity and a virtual
 * end node reached from every end activity, labelled with the number of cases. Activities
 * appear in name order and edges most frequent first, so equal maps give identical text.
 * Activity names are escaped for each format, and node ids are positional (a0, a1, ...), so no
 * name can break the syntax.
 */
#include "dfg.h"

#include "miscadmin.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(dfg_to_dot);
PG_FUNCTION_INFO_V1(dfg_to_mermaid);

typedef enum RenderLabel
{
	LABEL_FREQUENCY,
	LABEL_PERFORMANCE,
	LABEL_WEIGHT
} RenderLabel;

/* Parse the label argument. */
static RenderLabel
parse_label(text *label)
{
	char	   *s = text_to_cstring(label);

	if (strcmp(s, "frequency") == 0)
		return LABEL_FREQUENCY;
	if (strcmp(s, "performance") == 0)
		return LABEL_PERFORMANCE;
	if (strcmp(s, "weight") == 0)
		return LABEL_WEIGHT;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown process map label \"%s\"", s),
			 errhint("Use 'frequency' (counts), 'performance' (median durations) or 'weight'.")));
	pg_unreachable();
}

/* A duration as a short human-readable text: the two largest units, e.g. "3d 4h", "250ms". */
static char *
human_duration(int64 us)
{
	static const struct
	{
		int64		usecs;
		const char *unit;
	}			units[] = {
		{USECS_PER_DAY, "d"},
		{USECS_PER_HOUR, "h"},
		{USECS_PER_MINUTE, "m"},
		{USECS_PER_SEC, "s"}
	};
	int			i;

	if (us == 0)
		return pstrdup("0s");
	if (us < 1000)
		return psprintf(INT64_FORMAT "us", us);
	if (us < USECS_PER_SEC)
		return psprintf(INT64_FORMAT "ms", us / 1000);
	for (i = 0; i < 4; i++)
	{
		int64		major = us / units[i].usecs;
		int64		minor;

		if (major == 0)
			continue;
		if (i == 3)
			return psprintf(INT64_FORMAT "%s", major, units[i].unit);
		minor = (us % units[i].usecs) / units[i + 1].usecs;
		if (minor == 0)
			return psprintf(INT64_FORMAT "%s", major, units[i].unit);
		return psprintf(INT64_FORMAT "%s " INT64_FORMAT "%s", major, units[i].unit,
						minor, units[i + 1].unit);
	}
	pg_unreachable();
}

/* The label of an edge. */
static char *
edge_label(const DfgData *d, const DfgEdge *x, RenderLabel label)
{
	switch (label)
	{
		case LABEL_PERFORMANCE:
			return human_duration(dfg_edge_quantile(d, x, 0.5));
		case LABEL_WEIGHT:
			return dfg_weight_to_cstring(x->weight, true);
		default:
			return psprintf(INT64_FORMAT, x->count);
	}
}

/* The second line of an activity's label, or NULL for none. */
static char *
act_label(const DfgAct *s, RenderLabel label)
{
	switch (label)
	{
		case LABEL_PERFORMANCE:
			return NULL;
		case LABEL_WEIGHT:
			return dfg_weight_to_cstring(s->weight, true);
		default:
			return psprintf(INT64_FORMAT, s->events);
	}
}

/* Line width 1..5 in proportion to frequency, with fixed decimals for stable output. */
static char *
pen_width(int64 count, int64 maxcount)
{
	double		w = 1.0 + 4.0 * (double) count / (double) (maxcount > 0 ? maxcount : 1);

	return psprintf("%.2f", w);
}

/* Append a name inside a DOT double-quoted string. */
static void
dot_escape(StringInfo buf, const char *s, int len)
{
	int			i;

	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (c == '"' || c == '\\')
		{
			appendStringInfoChar(buf, '\\');
			appendStringInfoChar(buf, (char) c);
		}
		else if (c == '\n')
			appendStringInfoString(buf, "\\n");
		else if (c < 0x20 || c == 0x7f)
			appendStringInfoChar(buf, ' ');
		else
			appendStringInfoChar(buf, (char) c);
	}
}

/* Append a name inside a Mermaid double-quoted label, using Mermaid's #code; entities. */
static void
mermaid_escape(StringInfo buf, const char *s, int len)
{
	int			i;

	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		switch (c)
		{
			case '"':
			case '#':
			case '&':
			case '<':
			case '>':
			case '`':
			case '|':
			case '\\':
				appendStringInfo(buf, "#%d;", (int) c);
				break;
			default:
				if (c < 0x20 || c == 0x7f)
					appendStringInfoChar(buf, ' ');
				else
					appendStringInfoChar(buf, (char) c);
		}
	}
}

/* Largest edge or start/end count, to scale line widths. */
static int64
max_count(const DfgData *d)
{
	int64		m = 0;
	int			k;

	for (k = 0; k < d->nedges; k++)
		m = Max(m, DfgEdges(d)[k].count);
	for (k = 0; k < d->nacts; k++)
		m = Max(m, Max(DfgActs(d)[k].starts, DfgActs(d)[k].ends));
	return m;
}

/* dfg_to_dot(d, label): a Graphviz digraph. */
Datum
dfg_to_dot(PG_FUNCTION_ARGS)
{
	DfgData    *d = PG_GETARG_DFG_P(0);
	RenderLabel label = parse_label(PG_GETARG_TEXT_PP(1));
	const DfgAct *acts = DfgActs(d);
	int		   *order = dfg_edge_order(d);
	int64		maxc = max_count(d);
	StringInfoData buf;
	int			a,
				k;

	initStringInfo(&buf);
	appendStringInfoString(&buf,
						   "digraph process_map {\n"
						   "  rankdir=LR;\n"
						   "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#f4f6fa\", fontname=\"Helvetica\"];\n"
						   "  edge [fontname=\"Helvetica\", color=\"#4a5a78\"];\n"
						   "  cm_start [label=\"start\", shape=circle, fillcolor=\"#2e7d32\", fontcolor=\"white\"];\n"
						   "  cm_end [label=\"end\", shape=doublecircle, fillcolor=\"#c62828\", fontcolor=\"white\"];\n");
	for (a = 0; a < d->nacts; a++)
	{
		int			len;
		const char *name = DfgActName(d, a, &len);
		char	   *second = act_label(&acts[a], label);

		CHECK_FOR_INTERRUPTS();
		appendStringInfo(&buf, "  a%d [label=\"", a);
		dot_escape(&buf, name, len);
		if (second)
			appendStringInfo(&buf, "\\n%s", second);
		appendStringInfoString(&buf, "\"];\n");
	}
	for (a = 0; a < d->nacts; a++)
		if (acts[a].starts > 0)
			appendStringInfo(&buf, "  cm_start -> a%d [label=\"" INT64_FORMAT "\", style=dashed, penwidth=%s];\n",
							 a, acts[a].starts, pen_width(acts[a].starts, maxc));
	for (k = 0; k < d->nedges; k++)
	{
		const DfgEdge *x = &DfgEdges(d)[order[k]];

		CHECK_FOR_INTERRUPTS();
		appendStringInfo(&buf, "  a%d -> a%d [label=\"%s\", penwidth=%s];\n",
						 x->from, x->to, edge_label(d, x, label), pen_width(x->count, maxc));
	}
	for (a = 0; a < d->nacts; a++)
		if (acts[a].ends > 0)
			appendStringInfo(&buf, "  a%d -> cm_end [label=\"" INT64_FORMAT "\", style=dashed, penwidth=%s];\n",
							 a, acts[a].ends, pen_width(acts[a].ends, maxc));
	appendStringInfoString(&buf, "}\n");
	PG_RETURN_TEXT_P(cstring_to_text_with_len(buf.data, buf.len));
}

/* dfg_to_mermaid(d, label): a Mermaid flowchart. */
Datum
dfg_to_mermaid(PG_FUNCTION_ARGS)
{
	DfgData    *d = PG_GETARG_DFG_P(0);
	RenderLabel label = parse_label(PG_GETARG_TEXT_PP(1));
	const DfgAct *acts = DfgActs(d);
	int		   *order = dfg_edge_order(d);
	StringInfoData buf;
	int			a,
				k;

	initStringInfo(&buf);
	appendStringInfoString(&buf,
						   "flowchart LR\n"
						   "  cm_start((\"start\"))\n"
						   "  cm_end((\"end\"))\n");
	for (a = 0; a < d->nacts; a++)
	{
		int			len;
		const char *name = DfgActName(d, a, &len);
		char	   *second = act_label(&acts[a], label);

		CHECK_FOR_INTERRUPTS();
		appendStringInfo(&buf, "  a%d[\"", a);
		mermaid_escape(&buf, name, len);
		if (second)
			appendStringInfo(&buf, "<br/>%s", second);
		appendStringInfoString(&buf, "\"]\n");
	}
	for (a = 0; a < d->nacts; a++)
		if (acts[a].starts > 0)
			appendStringInfo(&buf, "  cm_start -.->|\"" INT64_FORMAT "\"| a%d\n", acts[a].starts, a);
	for (k = 0; k < d->nedges; k++)
	{
		const DfgEdge *x = &DfgEdges(d)[order[k]];

		CHECK_FOR_INTERRUPTS();
		appendStringInfo(&buf, "  a%d -->|\"%s\"| a%d\n", x->from, edge_label(d, x, label), x->to);
	}
	for (a = 0; a < d->nacts; a++)
		if (acts[a].ends > 0)
			appendStringInfo(&buf, "  a%d -.->|\"" INT64_FORMAT "\"| cm_end\n", a, acts[a].ends);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(buf.data, buf.len));
}
