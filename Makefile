# collmine: PGXS build.
#
#   make            build the shared library and the install script
#   make install    install into the PostgreSQL found by PG_CONFIG (needs write access)
#   make test       build, stage a private server copy, run every test in a throwaway cluster,
#                   on PostgreSQL 15, 17 and 18 (`make test PG=17`: one version; test/run-tests.sh)
#   make demo       the same throwaway set-up, loading the bundled sample and printing results
#   make bench      the benchmark harness (docs/performance.md), then the dashboard benchmark
#                   (make bench-dashboards alone)
#   make dist       collmine-VERSION.zip for PGXN: the committed tree plus the generated scripts
#                   (docs/release.md)
#   make fuzz       the fuzzers of test/fuzz for FUZZ_SECONDS per target (default 60)
#   make SANITIZE=1 test   build with AddressSanitizer and UBSan and run the suite on that build
#                   (run `make clean` when switching; see test/fuzz/README.md)
#
# The install script is assembled from sql/parts/*.sql in name order, so that each layer
# keeps its SQL in its own file. Upgrade scripts: every released version's install script is kept
# as it was released (sql/collmine--0.1.0.sql); the upgrade from the last release to this version
# is assembled from sql/upgrade/A--B/*.sql in name order (one fragment per topic, so that parallel
# changes do not collide); test/t/70_upgrade.sh checks that the chain equals a fresh install.

EXTENSION  = collmine
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" collmine.control)

# Which server: PG_CONFIG when given; `make PG=17` or `PG=18` builds against a server built from
# Debian's source package and cached outside the repository (test/pgbuild.sh, built on first use);
# otherwise Debian's postgresql-15. Prefer Debian's versioned pg_config: /usr/bin/pg_config
# belongs to libpq-dev, which a machine with only the server package does not have.
ifneq ($(filter-out 15,$(PG)),)
PG_CONFIG ?= $(shell bash test/pgbuild.sh $(PG))
endif
PG_CONFIG ?= $(firstword $(wildcard /usr/lib/postgresql/15/bin/pg_config) pg_config)

MODULE_big = $(EXTENSION)
OBJS       = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))
SQL_PARTS  = $(sort $(wildcard sql/parts/*.sql))
UPGRADES   = $(notdir $(wildcard sql/upgrade/*--$(EXTVERSION)))
DATA_built = sql/$(EXTENSION)--$(EXTVERSION).sql $(foreach u,$(UPGRADES),sql/$(EXTENSION)--$(u).sql)
DATA       = $(filter-out $(DATA_built),$(wildcard sql/$(EXTENSION)--*.sql))
# the one-step loader of ERP exports (docs/connectors.md), installed next to psql
SCRIPTS    = src/collmine-load

# pg_regress layout: test SQL lives in test/sql, expected output in expected/ (top level).
TESTS       = $(sort $(basename $(notdir $(wildcard test/sql/*.sql))))
REGRESS     = $(TESTS)
REGRESS_OPTS = --inputdir=build/regress --outputdir=build/regress --load-extension=$(EXTENSION)

PG_CPPFLAGS = -I$(srcdir)/src
PG_CFLAGS   = -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -Wno-missing-field-initializers
ifdef WERROR
PG_CFLAGS  += -Werror
endif
# The server is not built with ASan: the runtime comes in with collmine's library (options in
# src/sanitize.c), and the suite fails on any sanitizer report in the server logs. Without the
# runtime's interceptors (it cannot come first) ASan cannot clear stack redzones when an ERROR
# longjmps out of collmine's frames, so stack instrumentation is off (asan-stack=0); the
# libFuzzer binaries of test/fuzz check the parsers with full ASan instead.
ifdef SANITIZE
PG_CFLAGS  += -DCM_SANITIZE -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g \
              --param=asan-stack=0
SHLIB_LINK += -fsanitize=address,undefined
endif

EXTRA_CLEAN = $(DATA_built) build results regression.diffs regression.out

PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifeq ($(PGXS),)
$(error cannot find PGXS through $(PG_CONFIG): install PostgreSQL (Debian: postgresql-15) or set PG_CONFIG)
endif
include $(PGXS)

# PGXS tracks no header dependencies: every object depends on every header in src/, so that a
# changed header never leaves a stale object behind (it fails to load: "undefined symbol").
$(OBJS) $(OBJS:.o=.bc): $(wildcard src/*.h)

sql/$(EXTENSION)--$(EXTVERSION).sql: $(SQL_PARTS) collmine.control
	@mkdir -p $(dir $@)
	{ echo "-- generated from sql/parts/*.sql by the Makefile; edit those files, not this one"; \
	  printf '%s\n' '\echo Use "CREATE EXTENSION $(EXTENSION)" to load this file. \quit'; \
	  for f in $(SQL_PARTS); do echo; echo "-- ==== $$f ===="; cat $$f; done; } > $@

# The upgrade into this version, assembled from its fragments.
sql/$(EXTENSION)--%--$(EXTVERSION).sql: $(wildcard sql/upgrade/*/*.sql) collmine.control
	{ echo "-- generated from sql/upgrade/$*--$(EXTVERSION)/*.sql by the Makefile; edit those files, not this one"; \
	  printf '%s\n' '\echo Use "ALTER EXTENSION $(EXTENSION) UPDATE TO '"'"'$(EXTVERSION)'"'"'" to load this file. \quit'; \
	  for f in $(sort $(wildcard sql/upgrade/$*--$(EXTVERSION)/*.sql)); do echo; echo "-- ==== $$f ===="; cat $$f; done; } > $@

all: $(DATA_built)

# The function part of the upgrade into this version (test/tools/upgrade_functions.py): every
# function, aggregate, comment and grant of sql/parts that differs from the last release's script.
LAST_RELEASE = $(lastword $(sort $(filter-out $(DATA_built),$(wildcard sql/$(EXTENSION)--[0-9]*.sql))))
upgrade-functions:
	python3 test/tools/upgrade_functions.py $(LAST_RELEASE) sql/parts sql/upgrade/$(patsubst sql/$(EXTENSION)--%.sql,%,$(LAST_RELEASE))--$(EXTVERSION)/80_functions.sql

installcheck: build/regress
build/regress:
	@mkdir -p build/regress
	ln -sfn ../../test/sql build/regress/sql
	ln -sfn ../../expected build/regress/expected
	ln -sfn ../../test/data build/regress/data

print-tests:
	@echo $(TESTS)

.PHONY: test demo bench bench-dashboards headers print-tests upgrade-functions dist fuzz
headers:
	@test/pg.sh ensure-headers

test:
	@SANITIZE=$(SANITIZE) bash test/run-tests.sh $(TESTS_ONLY)

FUZZ_SECONDS ?= 60
fuzz:
	@FUZZ_SECONDS=$(FUZZ_SECONDS) bash test/fuzz/run.sh

demo:
	@bash test/demo.sh

bench:
	@bash test/bench.sh
	@bash test/bench/dashboards.sh

# The dashboard benchmark alone (docs/performance.md, "Dashboards"): BENCH_DASH_INVOICES sizes.
bench-dashboards:
	@bash test/bench/dashboards.sh

# Scale-out on Citus (docs/scale-out.md). Both need the Citus source beside the checkout
# (../shared/vendor/citus, or CM_CITUS_VENDOR); Citus is built once into a cache outside the
# repository (test/citus-lib.sh) and reused. test-citus says so and passes when the source is absent.
.PHONY: test-citus bench-citus
test-citus:
	@bash test/citus.sh

bench-citus:
	@bash test/bench/citus.sh

# A PGXN distribution: the repository at HEAD plus the generated install and upgrade scripts
# (git archive names an added file by the last --prefix and its base name).
dist: $(DATA_built)
	git archive --format=zip -o $(EXTENSION)-$(EXTVERSION).zip \
	    --prefix=$(EXTENSION)-$(EXTVERSION)/sql/ $(foreach f,$(DATA_built),--add-file=$(f)) \
	    --prefix=$(EXTENSION)-$(EXTVERSION)/ HEAD
