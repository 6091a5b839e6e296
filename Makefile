# cardtrail — plain GNU make with pkg-config.
#
#   make            build ./cardtrail
#   make check      build with ASan+UBSan into build/check and run every test
#                   (the fuzz targets too, about 10 s each, and their regressions)
#   make fuzz       run every fuzz target FUZZ_TIME seconds (default 60)
#   make demo       image the bundled card image into a fresh case folder
#   make bench      side-by-side timing against the peer tools (not a test)
#   make install    PREFIX=/usr/local DESTDIR=

VERSION   := 0.1.0
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
MANDIR    ?= $(PREFIX)/share/man
CC        ?= cc
PKGS      := blkid libgcrypt libarchive json-c tsk libexif expat cairo pangocairo sqlite3 libewf zlib libudev libseccomp
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS))
# libexif cannot tell its version at run time: the tool string names the one built against
LIBEXIF_VERSION := $(shell pkg-config --modversion libexif)

BUILD     ?= build/release
SAN       ?=
OPT       ?= -O2
CFLAGS    ?= $(OPT) -g
WARN      := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
ifeq ($(SAN),1)
SANFLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif
ALL_CFLAGS := -std=c11 -Isrc -Isrc/evidence/parsers -D_GNU_SOURCE -DCT_VERSION='"$(VERSION)"' \
	-DCT_LIBEXIF_VERSION='"$(LIBEXIF_VERSION)"' $(WARN) $(CFLAGS) $(SANFLAGS) \
	-Iinclude $(PKG_CFLAGS) -MMD -MP
LDLIBS    := $(PKG_LIBS) -lpthread -lm

LIB_SRC   := $(sort $(wildcard src/dev/*.c src/pipe/*.c src/hash/*.c src/image/*.c src/custody/*.c src/wipe/*.c src/util/*.c \
		src/evidence/*.c src/evidence/parsers/*.c src/report/*.c src/station/*.c))
CMD_SRC   := $(sort $(wildcard src/cmd/*.c)) src/main.c
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o)
CMD_OBJ   := $(CMD_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRC  := $(sort $(wildcard tests/tools/*.c))
TOOL_BIN  := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)
MANPAGES  := $(sort $(wildcard man/*.[1-8]))

.PHONY: all check unit-bin fuzz-bin fuzz demo bench install uninstall clean lint-man

all: cardtrail

cardtrail: $(BUILD)/cardtrail
	cp $< $@

$(BUILD)/cardtrail: $(LIB_OBJ) $(CMD_OBJ)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB_OBJ) $(LDLIBS) $(shell pkg-config --libs cmocka)

# Test helpers (FUSE fault injector, …) are plain programs, not sanitized.
$(BUILD)/tools/faultfs: tests/tools/faultfs.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 -g $(shell pkg-config --cflags fuse3) -o $@ $< \
		$(shell pkg-config --libs fuse3) -lpthread

# The report tests' PNG reader and MBTiles maker use cairo and SQLite.
$(BUILD)/tools/pngpix: tests/tools/pngpix.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 -g $(shell pkg-config --cflags cairo) -o $@ $< \
		$(shell pkg-config --libs cairo)

$(BUILD)/tools/mkmbtiles: tests/tools/mkmbtiles.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 -g $(shell pkg-config --cflags cairo sqlite3) -o $@ $< \
		$(shell pkg-config --libs cairo sqlite3)

$(BUILD)/tools/%: tests/tools/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 -g -Iinclude -o $@ $<

unit-bin: $(BUILD)/cardtrail $(UNIT_BIN) $(TOOL_BIN)

# ---- fuzzing: clang's libFuzzer over the library code built with clang
# (the regular build stays gcc); targets in tests/fuzz/, see its README ----
FUZZ_CC      ?= clang
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_CFLAGS  := -std=c11 -Isrc -Isrc/evidence/parsers -D_GNU_SOURCE -DCT_VERSION='"$(VERSION)"' \
	$(WARN) -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
	-fno-sanitize-recover=undefined -Iinclude $(PKG_CFLAGS) -MMD -MP
FUZZ_LIB_SRC := src/evidence/flight.c src/evidence/tracks.c src/evidence/walk.c \
	$(sort $(wildcard src/evidence/parsers/*.c))
FUZZ_LIB_OBJ := $(FUZZ_LIB_SRC:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_PARSERS := ulog dataflash dji-srt dji-txt dji-dat jpeg
FUZZ_BIN     := $(FUZZ_PARSERS:%=$(FUZZ_DIR)/fuzz-parser-%) $(FUZZ_DIR)/fuzz-walk \
	$(FUZZ_DIR)/fuzz-walk-struct
# seed card images for the walk (tests/tools/gen-cardimg, small)
# (FAT16 needs 4085 clusters: 2 MiB; FAT32 65525, too large to fuzz)
FUZZ_SEEDS   := fat12 fat12-dag fat12-past exfat exfat-tz exfat-past fat16
FUZZ_TIME    ?= 60

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_DIR)/obj/fuzz_parser-%.o: tests/fuzz/fuzz_parser.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -DCT_FUZZ_PARSER='"$*"' -c -o $@ $<

$(FUZZ_DIR)/fuzz-parser-%: $(FUZZ_DIR)/obj/fuzz_parser-%.o $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

$(FUZZ_DIR)/fuzz-walk: $(FUZZ_DIR)/obj/tests/fuzz/fuzz_walk.o $(FUZZ_LIB_OBJ) \
		$(FUZZ_SEEDS:%=$(FUZZ_DIR)/seeds/walk/%.img)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $(filter %.o,$^) $(LDLIBS)

# the same with the structure-aware FAT/exFAT mutator
$(FUZZ_DIR)/obj/fuzz_walk_struct.o: tests/fuzz/fuzz_walk.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -DCT_FUZZ_STRUCT -c -o $@ $<

$(FUZZ_DIR)/fuzz-walk-struct: $(FUZZ_DIR)/obj/fuzz_walk_struct.o $(FUZZ_LIB_OBJ) \
		$(FUZZ_SEEDS:%=$(FUZZ_DIR)/seeds/walk/%.img)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $(filter %.o,$^) $(LDLIBS)

$(FUZZ_DIR)/seeds/walk/%.img: $(BUILD)/tools/gen-cardimg
	@mkdir -p $(dir $@)
	$< $(shell echo $* | sed -e 's/-.*//; s/^/-t /') -o $@ --cluster 1 --files 3 \
		--size $(if $(findstring fat16,$*),2162688,262144) \
		$(if $(findstring dag,$*),--dag 6) $(if $(findstring past,$*),--past-end) \
		$(if $(findstring tz,$*),--tz 120)

.PRECIOUS: $(FUZZ_DIR)/obj/%.o $(FUZZ_DIR)/seeds/walk/%.img

fuzz-bin: $(FUZZ_BIN)

fuzz:
	$(MAKE) --no-print-directory BUILD=build/fuzz fuzz-bin
	@tests/fuzz/run.sh build/fuzz/fuzz $(FUZZ_TIME)

check:
	$(MAKE) --no-print-directory BUILD=build/check SAN=1 OPT=-O1 unit-bin fuzz-bin
	@tests/run.sh build/check

demo: cardtrail
	@fixtures/demo.sh ./cardtrail

bench: cardtrail $(BUILD)/tools/gen-cardimg
	@bench/run.sh ./cardtrail

lint-man:
	mandoc -Tlint -Wwarning $(MANPAGES)

install: cardtrail
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	install -m 0755 cardtrail $(DESTDIR)$(BINDIR)/cardtrail
	for m in $(MANPAGES); do s=$${m##*.}; install -d $(DESTDIR)$(MANDIR)/man$$s; \
		install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/cardtrail
	for m in $(MANPAGES); do s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; done

clean:
	rm -rf build cardtrail

# dependency files are made by the compiler, never by a rule
%.d: ;
-include $(shell find build -name '*.d' 2>/dev/null)
