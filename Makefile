# ursa build: plain GNU Make.
#   make            library, tests, benchmarks, examples
#   make test       build and run the whole test suite
#   make demo       build and run the example (file copy)
#   make SANITIZE=asan   (or tsan) builds into build-asan/ (build-tsan/)
CC      ?= gcc
OPT     ?= -O2 -g
WARN    := -Wall -Wextra -Werror
BASE_CFLAGS := -std=gnu11 $(WARN) -D_GNU_SOURCE -fno-strict-aliasing -pthread
CFLAGS  ?= $(OPT)
ALL_CFLAGS := $(BASE_CFLAGS) $(CFLAGS) -Iinclude -Isrc
LDLIBS  := -pthread

ifeq ($(SANITIZE),asan)
  ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  LDFLAGS += -fsanitize=address,undefined
  B ?= build-asan
else ifeq ($(SANITIZE),tsan)
  ALL_CFLAGS += -fsanitize=thread -fno-omit-frame-pointer
  LDFLAGS += -fsanitize=thread
  B ?= build-tsan
endif
B ?= build

SONAME   := libursa.so.1
LIB_SRCS := $(sort $(wildcard src/engine/*.c src/drivers/*.c src/lib/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/obj/%.o)
LIB_PIC  := $(LIB_SRCS:%.c=$(B)/pic/%.o)

TEST_SRCS  := $(sort $(wildcard tests/*.c))
TEST_BINS  := $(TEST_SRCS:tests/%.c=$(B)/tests/%)
# Programs written against Debian's liburing-dev headers (system includes),
# linked against libursa: the drop-in compatibility check.
# Without Debian's liburing-dev they become stubs that skip (exit 77).
HAVE_SYS_LIBURING := $(wildcard /usr/include/liburing.h)
COMPAT_SRCS := $(sort $(wildcard tests/compat/*.c))
COMPAT_BINS := $(COMPAT_SRCS:tests/compat/%.c=$(B)/tests/compat-%)
BENCH_SRCS := $(sort $(wildcard bench/*.c))
BENCH_BINS := $(BENCH_SRCS:bench/%.c=$(B)/bench/%)
EX_SRCS    := $(sort $(wildcard examples/*.c))
EX_BINS    := $(EX_SRCS:examples/%.c=$(B)/examples/%)
TEST_HELPERS := $(wildcard tests/helpers/*.c)
TEST_HELPER_OBJS := $(TEST_HELPERS:%.c=$(B)/obj/%.o)

all: lib $(TEST_BINS) $(COMPAT_BINS) $(BENCH_BINS) $(EX_BINS)

lib: $(B)/libursa.a $(B)/$(SONAME) $(B)/ursa.pc

$(B)/obj/%.o: %.c $(wildcard include/*.h include/*/*.h include/*/*/*.h src/*/*.h tests/helpers/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/pic/%.o: %.c $(wildcard include/*.h include/*/*.h include/*/*/*.h src/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -c -o $@ $<

$(B)/libursa.a: $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(B)/$(SONAME): $(LIB_PIC) src/lib/libursa.map
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=src/lib/libursa.map \
		$(LDFLAGS) -o $@ $(LIB_PIC) $(LDLIBS)
	ln -sf $(SONAME) $(B)/libursa.so

$(B)/ursa.pc: ursa.pc.in
	sed -e 's|@PREFIX@|$(PREFIX)|' $< > $@

$(B)/tests/%: tests/%.c $(B)/libursa.a $(TEST_HELPER_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(TEST_HELPER_OBJS) $(LDFLAGS) $(B)/libursa.a $(LDLIBS)

# Compiled against the system's <liburing.h>, linked with libursa.so only.
ifneq ($(HAVE_SYS_LIBURING),)
$(B)/tests/compat-%: tests/compat/%.c $(B)/$(SONAME)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $< $(LDFLAGS) -L$(B) -Wl,-rpath,'$$ORIGIN/..' -lursa $(LDLIBS)
else
$(B)/tests/compat-%: tests/compat/%.c
	@mkdir -p $(dir $@)
	printf '#!/bin/sh\necho "skip: needs Debian liburing-dev (/usr/include/liburing.h)"\nexit 77\n' > $@
	chmod +x $@
endif

$(B)/bench/%: bench/%.c $(B)/libursa.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LDFLAGS) $(B)/libursa.a $(LDLIBS)

$(B)/examples/%: examples/%.c $(B)/libursa.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LDFLAGS) $(B)/libursa.a $(LDLIBS)

PREFIX ?= /usr/local

test: all
	B=$(B) ./tests/run.sh $(TESTS)

demo: all
	./examples/demo.sh $(B)

bench: all
	./bench/run.sh $(B)

clean:
	rm -rf build build-asan build-tsan

.PHONY: all lib test demo bench clean
# Objects shared by several programs are never intermediate files.
.SECONDARY:

# --- ursa-run ---
# ursa-run (issue 7): the drop-in liburing.so.2, the preloaded interposer,
# the launcher, the deny-io_uring test launcher and the trap benchmark, all
# in $(B)/run/; the tests/run-* programs (explicit rules below override the
# generic test rule: they need system headers, -luring, or a shell script).
# x86-64 only; not built with sanitizers (a preloaded ASan/TSan library
# cannot load into an uninstrumented program), where the tests skip.
RUN_DIR     := $(B)/run
RUN_TESTS   := $(B)/tests/run-liburing $(B)/tests/run-raw $(B)/tests/run-signals \
	       $(B)/tests/run-fio
ifeq ($(SANITIZE),)
RUN_TARGETS := $(RUN_DIR)/liburing.so.2 $(RUN_DIR)/libursa-preload.so \
	       $(RUN_DIR)/ursa-run $(RUN_DIR)/deny-io_uring $(RUN_DIR)/bench-trap \
	       $(RUN_TESTS)
else
RUN_TARGETS := $(RUN_TESTS)
endif
RUN_HDRS    := src/run/run.h tests/run-driver.h

all: $(RUN_TARGETS)

$(RUN_DIR)/liburing.so.2: $(LIB_PIC) src/lib/libursa.map
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-soname,liburing.so.2 -Wl,--version-script=src/lib/libursa.map \
		$(LDFLAGS) -o $@ $(LIB_PIC) $(LDLIBS)

$(RUN_DIR)/libursa-preload.so: $(B)/pic/src/run/preload.o $(RUN_DIR)/liburing.so.2
	$(CC) -shared -Wl,-soname,libursa-preload.so $(LDFLAGS) -o $@ $< \
		$(RUN_DIR)/liburing.so.2 -Wl,-rpath,'$$ORIGIN' -ldl $(LDLIBS)

$(B)/pic/src/run/preload.o: src/run/run.h

$(RUN_DIR)/%: src/run/%.c $(RUN_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LDFLAGS) -ldl $(LDLIBS)

ifeq ($(SANITIZE),)
# (a) written against Debian's <liburing.h>, linked with -luring.
ifneq ($(HAVE_SYS_LIBURING),)
$(B)/tests/run-liburing: tests/run-liburing.c $(RUN_HDRS) $(filter-out $(B)/tests/%,$(RUN_TARGETS))
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $< $(LDFLAGS) -luring $(LDLIBS)
else
$(B)/tests/run-liburing: tests/run-liburing.c
	@mkdir -p $(dir $@)
	printf '#!/bin/sh\necho "skip: needs Debian liburing-dev (/usr/include/liburing.h)"\nexit 77\n' > $@
	chmod +x $@
endif
# (b), (c): raw syscalls only, the uAPI header from ursa's include/.
$(B)/tests/run-raw $(B)/tests/run-signals: $(B)/tests/run-%: tests/run-%.c $(RUN_HDRS) $(filter-out $(B)/tests/%,$(RUN_TARGETS))
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(LDFLAGS) $(LDLIBS)
# (d) fio, a shell script.
$(B)/tests/run-fio: tests/run-fio.sh $(filter-out $(B)/tests/%,$(RUN_TARGETS))
	@mkdir -p $(dir $@)
	cp $< $@
	chmod +x $@
else
$(RUN_TESTS): $(B)/tests/run-%:
	@mkdir -p $(dir $@)
	printf '#!/bin/sh\necho "skip: ursa-run is not built with SANITIZE=$(SANITIZE)"\nexit 77\n' > $@
	chmod +x $@
endif

.PHONY: run-targets
run-targets: $(RUN_TARGETS)
# --- end ursa-run ---
