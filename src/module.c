/*
 * module.c: the shared library's identity (PG_MODULE_MAGIC); nothing else lives here.
 */
#include "postgres.h"
#include "fmgr.h"

PG_MODULE_MAGIC;
