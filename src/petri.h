/*
 * petri.h: labelled Petri nets (the normative process models of conformance checking).
 *
 * petri.c reads the text form documented in docs/conformance.md into a PnNet, validating it,
 * and caches the compiled net in fn_extra; petri_replay.c replays traces on it.
 */
#ifndef COLLMINE_PETRI_H
#define COLLMINE_PETRI_H

#include "compat.h"

#define PN_MAX_PLACES		10000
#define PN_MAX_TRANSITIONS	10000

/* An arc between a transition and a place, with its weight (repeated mentions add up). */
typedef struct PnArc
{
	int32		place;
	int32		weight;
} PnArc;

typedef struct PnTransition
{
	char	   *name;			/* the label (visible) or the identifier (silent) */
	int			name_len;
	bool		silent;
	int32		label;			/* index into PnNet.labels, -1 when silent */
	int			nin;
	int			nout;
	PnArc	   *in;
	PnArc	   *out;
} PnTransition;

typedef struct PnNet
{
	int			nplaces;
	char	  **places;
	int			ntrans;
	PnTransition *trans;
	int32	   *initial;		/* tokens per place */
	int32	   *final;
	int64		ninitial;		/* total tokens of each marking */
	int64		nfinal;
	bool		has_silent;
	int			nlabels;		/* distinct labels of visible transitions */
	char	  **labels;
	int		   *label_len;
	int64		fingerprint;	/* of the net as parsed (pn_net_get): see net_fingerprint */
} PnNet;

/* The compiled net for this call site (argument argno, a text), parsed again only when it changes. */
extern PnNet *pn_net_get(FunctionCallInfo fcinfo, int argno);

#endif
