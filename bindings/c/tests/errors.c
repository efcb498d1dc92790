/*
 * Every error path of the C API, with a real C compiler: NULL handles and
 * pointers, wrong key, corrupted store, busy store, wrong sample rate, zero-
 * length and NaN buffers, too-small output buffers, held clips, bad enums,
 * model mismatch. Each check compares the vg_result code and a piece of the
 * vg_last_error message. Needs no speech: silence and noise are made here.
 *
 *   errors TMPDIR MODELS_DIR     (MODELS_DIR: the repository's models/)
 *
 * Prints one line per failed check and a summary; exit status 0 only if
 * every check passed.
 */
#include "voiceguard.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int checks = 0, failures = 0;

#define CHECK(cond)                                                                \
    do {                                                                           \
        checks++;                                                                  \
        if (!(cond)) {                                                             \
            failures++;                                                            \
            fprintf(stderr, "errors.c:%d: check failed: %s\n", __LINE__, #cond); \
        }                                                                          \
    } while (0)

/* The call returned `want` and this thread's message contains `part`. */
#define EXPECT(call, want, part) expect((call), (want), (part), #call, __LINE__)

static void expect(vg_result got, vg_result want, const char *part, const char *call, int line) {
    char msg[2048] = "";
    size_t n = 0;
    checks++;
    if (vg_last_error(msg, sizeof msg, &n) != VG_RESULT_OK) snprintf(msg, sizeof msg, "(too long)");
    if (got != want || (part && !strstr(msg, part))) {
        failures++;
        fprintf(stderr, "errors.c:%d: %s\n  returned %d (%s), expected %d (%s)\n  message: %s\n  expected it to contain: %s\n",
                line, call, got, vg_result_str(got), want, vg_result_str(want), msg, part ? part : "-");
    }
}

static char tmpdir[2048], models[2048];

static const char *path_in(const char *name) {
    static char buf[4][4096];
    static int k = 0;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

static void flip_byte(const char *path, long offset) {
    FILE *f = fopen(path, "r+b");
    CHECK(f != NULL);
    if (!f) return;
    CHECK(fseek(f, offset, offset < 0 ? SEEK_END : SEEK_SET) == 0);
    int c = fgetc(f);
    CHECK(c != EOF);
    CHECK(fseek(f, -1, SEEK_CUR) == 0);
    fputc(c ^ 0x5A, f);
    fclose(f);
}

static void copy_file(const char *from, const char *to) {
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    CHECK(a && b);
    if (a && b) {
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, a)) > 0) fwrite(buf, 1, n, b);
    }
    if (a) fclose(a);
    if (b) fclose(b);
}

static void strings_and_codes(void) {
    const vg_result codes[] = {VG_RESULT_OK, VG_RESULT_INVALID_INPUT, VG_RESULT_NULL_PARAMETER,
                               VG_RESULT_BUFFER_TOO_SMALL, VG_RESULT_HELD, VG_RESULT_UNSUPPORTED_FORMAT,
                               VG_RESULT_MODEL_MISMATCH, VG_RESULT_NOT_ENROLLED, VG_RESULT_AUTH,
                               VG_RESULT_IO, VG_RESULT_BUSY, VG_RESULT_LIMIT_EXCEEDED,
                               VG_RESULT_INTERNAL, VG_RESULT_PANIC};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        CHECK(strncmp(vg_result_str(codes[i]), "VG_RESULT_", 10) == 0);
    }
    CHECK(strcmp(vg_result_str(-7), "unknown vg_result code") == 0);
    /* Bands: code / 100. */
    CHECK(VG_RESULT_INVALID_INPUT / 100 == 1 && VG_RESULT_NULL_PARAMETER / 100 == 1);
    CHECK(VG_RESULT_UNSUPPORTED_FORMAT / 100 == 2 && VG_RESULT_NOT_ENROLLED / 100 == 3);
    CHECK(VG_RESULT_AUTH / 100 == 4 && VG_RESULT_IO / 100 == 5 && VG_RESULT_LIMIT_EXCEEDED / 100 == 6);
    CHECK(VG_RESULT_INTERNAL / 100 == 7 && VG_RESULT_PANIC / 100 == 8);
    CHECK(strcmp(vg_decision_str(VG_DECISION_HOLD), "hold") == 0);
    CHECK(strcmp(vg_decision_str(VG_DECISION_PASS), "pass") == 0);
    CHECK(strcmp(vg_decision_str(VG_DECISION_REDACT), "redact") == 0);
    CHECK(strcmp(vg_decision_str(99), "unknown") == 0);
    CHECK(VG_DECISION_HOLD == 0);
    CHECK(strcmp(vg_finding_str(VG_FINDING_NO_SPEECH), "no_speech") == 0);
    CHECK(strcmp(vg_finding_str(3), "unknown") == 0);
    CHECK(strlen(vg_version()) > 0);

    /* vg_last_error: size query, too small, exact. */
    EXPECT(vg_engine_new(NULL), VG_RESULT_NULL_PARAMETER, "vg_engine_new: out is NULL");
    size_t n = 0;
    CHECK(vg_last_error(NULL, 0, &n) == VG_RESULT_OK);
    CHECK(n == strlen("vg_engine_new: out is NULL; pass a valid pointer"));
    char small[8] = "xxxxxxx";
    size_t m = 12345;
    CHECK(vg_last_error(small, sizeof small, &m) == VG_RESULT_BUFFER_TOO_SMALL);
    CHECK(m == 12345 && small[0] == 'x'); /* nothing written */
    char *exact = malloc(n + 1);
    CHECK(exact && vg_last_error(exact, n + 1, &m) == VG_RESULT_OK && m == n && exact[n] == '\0');
    free(exact);
    CHECK(vg_last_error(small, sizeof small, NULL) == VG_RESULT_NULL_PARAMETER);
    CHECK(vg_last_error(NULL, 5, &m) == VG_RESULT_NULL_PARAMETER);

    /* _free(NULL) is a no-op. */
    vg_engine_free(NULL);
    vg_store_free(NULL);
    vg_policy_free(NULL);
    vg_enroller_free(NULL);
    vg_screening_free(NULL);
}

static void engine_errors(void) {
    vg_engine *e = (vg_engine *)0x1; /* must stay untouched on failure */
    EXPECT(vg_engine_new_from_dirs(NULL, NULL, &e), VG_RESULT_NULL_PARAMETER, "encoder_dir is NULL");
    EXPECT(vg_engine_new_from_dirs(path_in("no-such-model"), NULL, &e), VG_RESULT_IO, "manifest.toml");
    char vad_dir[4096];
    snprintf(vad_dir, sizeof vad_dir, "%s/silero_vad", models);
    /* The VAD's directory is not a speaker encoder. */
    vg_result r = vg_engine_new_from_dirs(vad_dir, NULL, &e);
    EXPECT(r, VG_RESULT_MODEL_MISMATCH, "manifest");
    CHECK(e == (vg_engine *)0x1);
    EXPECT(vg_engine_sample_rate(NULL, NULL), VG_RESULT_NULL_PARAMETER, "engine is NULL");
}

static void policy_errors(void) {
    vg_policy *p = NULL;
    CHECK(vg_policy_new(&p) == VG_RESULT_OK && p);
    EXPECT(vg_policy_set_on_other(p, 7), VG_RESULT_INVALID_INPUT, "on_other is 7");
    EXPECT(vg_policy_set_on_uncertain(p, -1), VG_RESULT_INVALID_INPUT, "on_uncertain is -1");
    EXPECT(vg_policy_set_on_no_speech(p, 2), VG_RESULT_INVALID_INPUT, "on_no_speech is 2");
    EXPECT(vg_policy_set_fill(p, VG_FILL_NOISE, 3.0f, 0.0f), VG_RESULT_INVALID_INPUT, "level_dbfs is 3");
    EXPECT(vg_policy_set_fill(p, VG_FILL_TONE, -40.0f, NAN), VG_RESULT_INVALID_INPUT, "tone_hz");
    EXPECT(vg_policy_set_fill(p, 9, -40.0f, 0.0f), VG_RESULT_INVALID_INPUT, "fill is 9");
    EXPECT(vg_policy_set_on_other(NULL, VG_ON_OTHER_HOLD), VG_RESULT_NULL_PARAMETER, "policy is NULL");
    CHECK(vg_policy_set_fill(p, VG_FILL_TONE, -40.0f, 1000.0f) == VG_RESULT_OK);
    CHECK(vg_policy_set_on_other(p, VG_ON_OTHER_HOLD) == VG_RESULT_OK);
    vg_policy_free(p);
}

static void store_errors(vg_engine *engine) {
    uint8_t key[32], wrong[32];
    for (int i = 0; i < 32; i++) {
        key[i] = (uint8_t)(i * 7 + 1);
        wrong[i] = key[i];
    }
    wrong[31] ^= 1;
    const char *path = path_in("home.vgstore");
    remove(path);
    vg_store *s = NULL, *s2 = (vg_store *)0x1;

    EXPECT(vg_store_open(NULL, path, key, 32, VG_STORE_CREATE, &s), VG_RESULT_NULL_PARAMETER, "engine is NULL");
    EXPECT(vg_store_open(engine, NULL, key, 32, VG_STORE_CREATE, &s), VG_RESULT_NULL_PARAMETER, "path is NULL");
    EXPECT(vg_store_open(engine, path, NULL, 32, VG_STORE_CREATE, &s), VG_RESULT_NULL_PARAMETER, "key is NULL");
    EXPECT(vg_store_open(engine, path, key, 32, VG_STORE_CREATE, NULL), VG_RESULT_NULL_PARAMETER, "out is NULL");
    EXPECT(vg_store_open(engine, path, key, 16, VG_STORE_CREATE, &s), VG_RESULT_INVALID_INPUT, "key_len is 16");
    EXPECT(vg_store_open(engine, path, key, 32, 7, &s), VG_RESULT_INVALID_INPUT, "mode is 7");
    EXPECT(vg_store_open(engine, path, key, 32, VG_STORE_READ, &s), VG_RESULT_IO, "home.vgstore");
    CHECK(s == NULL);

    CHECK(vg_store_open(engine, path, key, 32, VG_STORE_CREATE, &s) == VG_RESULT_OK && s);
    size_t count = 99;
    CHECK(vg_store_member_count(s, &count) == VG_RESULT_OK && count == 0);
    EXPECT(vg_store_member_count(s, NULL), VG_RESULT_NULL_PARAMETER, "count is NULL");
    EXPECT(vg_store_member_count(NULL, &count), VG_RESULT_NULL_PARAMETER, "store is NULL");
    char name[64];
    size_t n;
    EXPECT(vg_store_member_name(s, 0, name, sizeof name, &n), VG_RESULT_INVALID_INPUT, "0 member(s)");
    vg_member_info info;
    EXPECT(vg_store_member_info(s, 3, &info), VG_RESULT_INVALID_INPUT, "index is 3");
    EXPECT(vg_store_forget(s, "nobody"), VG_RESULT_NOT_ENROLLED, "\"nobody\"");
    EXPECT(vg_store_forget(s, NULL), VG_RESULT_NULL_PARAMETER, "name is NULL");
    /* A second writer, even in this process, is refused while the first holds the lock. */
    EXPECT(vg_store_open(engine, path, key, 32, VG_STORE_WRITE, &s2), VG_RESULT_BUSY, "locked");
    CHECK(s2 == (vg_store *)0x1);
    vg_store_free(s);
    s = NULL;

    EXPECT(vg_store_open(engine, path, wrong, 32, VG_STORE_READ, &s), VG_RESULT_AUTH, "wrong key");
    CHECK(s == NULL);
    CHECK(vg_store_open(engine, path, key, 32, VG_STORE_READ, &s) == VG_RESULT_OK && s);
    EXPECT(vg_store_forget(s, "nobody"), VG_RESULT_INVALID_INPUT, "VG_STORE_READ");
    vg_store_free(s);
    s = NULL;

    /* A changed byte in the ciphertext fails authentication; in the magic, the format. */
    const char *bad = path_in("corrupt.vgstore");
    copy_file(path, bad);
    flip_byte(bad, -3);
    EXPECT(vg_store_open(engine, bad, key, 32, VG_STORE_READ, &s), VG_RESULT_AUTH, "modified");
    CHECK(s == NULL);
    copy_file(path, bad);
    flip_byte(bad, 0);
    EXPECT(vg_store_open(engine, bad, key, 32, VG_STORE_WRITE, &s), VG_RESULT_UNSUPPORTED_FORMAT, "nothing was overwritten");
    CHECK(s == NULL);
    remove(bad);
}

static void screen_errors(vg_engine *engine) {
    uint8_t key[32] = {1};
    const char *path = path_in("screen.vgstore");
    remove(path);
    vg_store *store = NULL;
    CHECK(vg_store_open(engine, path, key, 32, VG_STORE_CREATE, &store) == VG_RESULT_OK);

    enum { RATE = 16000 };
    static float silence[2 * RATE];   /* 2 s: no speech, long enough to pass */
    static int16_t pcm[2 * RATE];
    memset(silence, 0, sizeof silence);
    memset(pcm, 0, sizeof pcm);
    vg_decision d;
    vg_screening *sc = (vg_screening *)0x1;

#define SCREEN_F(eng, st, buf, n, rate) (d = VG_DECISION_PASS, vg_screen_f32(eng, st, NULL, buf, n, rate, &d, &sc))
    EXPECT(SCREEN_F(NULL, store, silence, 2 * RATE, RATE), VG_RESULT_NULL_PARAMETER, "engine is NULL");
    CHECK(d == VG_DECISION_HOLD);
    EXPECT(SCREEN_F(engine, NULL, silence, 2 * RATE, RATE), VG_RESULT_NULL_PARAMETER, "store is NULL");
    CHECK(d == VG_DECISION_HOLD);
    EXPECT(SCREEN_F(engine, store, NULL, 2 * RATE, RATE), VG_RESULT_NULL_PARAMETER, "samples is NULL");
    CHECK(d == VG_DECISION_HOLD);
    EXPECT(SCREEN_F(engine, store, silence, 0, RATE), VG_RESULT_INVALID_INPUT, "n_samples is 0");
    CHECK(d == VG_DECISION_HOLD);
    EXPECT(SCREEN_F(engine, store, silence, 2 * RATE, 0), VG_RESULT_INVALID_INPUT, "0 Hz");
    CHECK(d == VG_DECISION_HOLD);
    EXPECT(SCREEN_F(engine, store, silence, 2 * RATE, 1000), VG_RESULT_LIMIT_EXCEEDED, "1000 Hz");
    CHECK(d == VG_DECISION_HOLD);
    EXPECT(SCREEN_F(engine, store, silence, 2 * RATE, 1000000), VG_RESULT_LIMIT_EXCEEDED, "4000..=384000 Hz");
    CHECK(d == VG_DECISION_HOLD);
    /* 5 hours at 16 kHz claimed: refused before anything is read. */
    EXPECT(SCREEN_F(engine, store, silence, (size_t)5 * 3600 * RATE, RATE), VG_RESULT_LIMIT_EXCEEDED, "duration");
    CHECK(d == VG_DECISION_HOLD);
    EXPECT(SCREEN_F(engine, store, silence, SIZE_MAX / 2, RATE), VG_RESULT_LIMIT_EXCEEDED, "duration");
    CHECK(d == VG_DECISION_HOLD);
    /* Misaligned float buffer (never read: refused first). */
    EXPECT(SCREEN_F(engine, store, (const float *)((const char *)silence + 1), 100, RATE), VG_RESULT_INVALID_INPUT, "aligned");
    CHECK(d == VG_DECISION_HOLD);
    silence[100] = NAN;
    EXPECT(SCREEN_F(engine, store, silence, 2 * RATE, RATE), VG_RESULT_INVALID_INPUT, "NaN");
    CHECK(d == VG_DECISION_HOLD);
    silence[100] = 0.0f;
    CHECK(sc == (vg_screening *)0x1); /* never written on failure */
    EXPECT(vg_screen_f32(engine, store, NULL, silence, 2 * RATE, RATE, NULL, &sc), VG_RESULT_NULL_PARAMETER, "decision is NULL");
    EXPECT(vg_screen_i16(engine, store, NULL, pcm, 0, RATE, &d, &sc), VG_RESULT_INVALID_INPUT, "n_samples is 0");

    /* 2 s of silence passes (no speech), with or without a screening handle. */
    d = VG_DECISION_HOLD;
    CHECK(vg_screen_i16(engine, store, NULL, pcm, 2 * RATE, RATE, &d, NULL) == VG_RESULT_OK);
    CHECK(d == VG_DECISION_PASS);
    sc = NULL;
    CHECK(vg_screen_i16(engine, store, NULL, pcm, 2 * RATE, RATE, &d, &sc) == VG_RESULT_OK && sc);
    uint32_t reasons = 0;
    CHECK(vg_screening_reasons(sc, &reasons) == VG_RESULT_OK && reasons == VG_REASON_NO_SPEECH);
    vg_decision again = VG_DECISION_REDACT;
    CHECK(vg_screening_decision(sc, &again) == VG_RESULT_OK && again == VG_DECISION_PASS);
    EXPECT(vg_screening_decision(NULL, &again), VG_RESULT_NULL_PARAMETER, "screening is NULL");
    CHECK(again == VG_DECISION_HOLD);

    /* Output: too small, then right. */
    static int16_t out[2 * RATE];
    size_t written = 777;
    out[0] = 123;
    EXPECT(vg_screening_output_i16(sc, out, 2 * RATE - 1, &written), VG_RESULT_BUFFER_TOO_SMALL, "32000");
    CHECK(written == 777 && out[0] == 123);
    EXPECT(vg_screening_output_i16(sc, NULL, 2 * RATE, &written), VG_RESULT_NULL_PARAMETER, "out is NULL");
    EXPECT(vg_screening_output_i16(sc, out, 2 * RATE, NULL), VG_RESULT_NULL_PARAMETER, "written is NULL");
    CHECK(vg_screening_output_i16(sc, out, 2 * RATE, &written) == VG_RESULT_OK && written == 2 * RATE);
    CHECK(out[0] == 0 && memcmp(out, pcm, sizeof pcm) == 0);
    static float fout[2 * RATE + 5];
    CHECK(vg_screening_output_f32(sc, fout, 2 * RATE + 5, &written) == VG_RESULT_OK && written == 2 * RATE);
    size_t spans = 0;
    CHECK(vg_screening_span_count(sc, &spans) == VG_RESULT_OK && spans == 1);
    vg_span sp;
    CHECK(vg_screening_span(sc, 0, &sp) == VG_RESULT_OK);
    CHECK(sp.label == VG_LABEL_NONSPEECH && sp.start_sample == 0 && sp.end_sample == 2 * RATE && isnan(sp.score));
    EXPECT(vg_screening_span(sc, 1, &sp), VG_RESULT_INVALID_INPUT, "1 span(s)");
    char who[32];
    size_t n;
    EXPECT(vg_screening_span_member(sc, 0, who, sizeof who, &n), VG_RESULT_INVALID_INPUT, "nonspeech");
    vg_screening_free(sc);

    /* 0.5 s of silence is too short to rule speech out: held, no output. */
    sc = NULL;
    d = VG_DECISION_PASS;
    CHECK(vg_screen_i16(engine, store, NULL, pcm, RATE / 2, RATE, &d, &sc) == VG_RESULT_OK && sc);
    CHECK(d == VG_DECISION_HOLD);
    CHECK(vg_screening_reasons(sc, &reasons) == VG_RESULT_OK && reasons == VG_REASON_TOO_SHORT);
    written = 5;
    EXPECT(vg_screening_output_i16(sc, out, 2 * RATE, &written), VG_RESULT_HELD, "too_short");
    CHECK(written == 5);
    vg_screening_free(sc);

    /* A policy that holds clips without speech; and one at 44.1 kHz. */
    vg_policy *p = NULL;
    CHECK(vg_policy_new(&p) == VG_RESULT_OK);
    CHECK(vg_policy_set_on_no_speech(p, VG_ON_NO_SPEECH_HOLD) == VG_RESULT_OK);
    d = VG_DECISION_PASS;
    CHECK(vg_screen_f32(engine, store, p, silence, 2 * RATE, RATE, &d, NULL) == VG_RESULT_OK && d == VG_DECISION_HOLD);
    vg_policy_free(p);
    static float cd[2 * 44100];
    memset(cd, 0, sizeof cd);
    sc = NULL;
    CHECK(vg_screen_f32(engine, store, NULL, cd, 2 * 44100, 44100, &d, &sc) == VG_RESULT_OK && d == VG_DECISION_PASS);
    CHECK(vg_screening_span(sc, 0, &sp) == VG_RESULT_OK && sp.end_sample == 2 * 44100);
    vg_screening_free(sc);

    vg_store_free(store);
    remove(path);
}

static void enroll_errors(vg_engine *engine) {
    uint8_t key[32] = {2};
    const char *path = path_in("enroll.vgstore");
    remove(path);
    vg_store *store = NULL, *ro = NULL;
    CHECK(vg_store_open(engine, path, key, 32, VG_STORE_CREATE, &store) == VG_RESULT_OK);
    vg_enroller *e = (vg_enroller *)0x1;
    EXPECT(vg_enroller_new(engine, store, "", &e), VG_RESULT_INVALID_INPUT, "member name \"\"");
    EXPECT(vg_enroller_new(engine, store, "tab\there", &e), VG_RESULT_INVALID_INPUT, "control characters");
    EXPECT(vg_enroller_new(engine, store, "\xff\xfe", &e), VG_RESULT_INVALID_INPUT, "UTF-8");
    EXPECT(vg_enroller_new(NULL, store, "ann", &e), VG_RESULT_NULL_PARAMETER, "engine is NULL");
    EXPECT(vg_enroller_new(engine, store, NULL, &e), VG_RESULT_NULL_PARAMETER, "name is NULL");
    CHECK(e == (vg_enroller *)0x1);
    e = NULL;
    CHECK(vg_enroller_new(engine, store, "ann", &e) == VG_RESULT_OK && e);

    EXPECT(vg_enroller_set_requirements(e, -1.0f, 3), VG_RESULT_INVALID_INPUT, "min_speech_s");
    static float silence[3 * 16000];
    memset(silence, 0, sizeof silence);
    vg_utterance u;
    u.index = 77;
    EXPECT(vg_enroller_push_f32(e, silence, 0, 16000, &u), VG_RESULT_INVALID_INPUT, "n_samples is 0");
    EXPECT(vg_enroller_push_f32(e, silence, 3 * 16000, 0, &u), VG_RESULT_INVALID_INPUT, "0 Hz");
    EXPECT(vg_enroller_push_f32(e, silence, 3 * 16000, 500, &u), VG_RESULT_LIMIT_EXCEEDED, "500 Hz");
    EXPECT(vg_enroller_push_f32(NULL, silence, 3 * 16000, 16000, &u), VG_RESULT_NULL_PARAMETER, "enroller is NULL");
    CHECK(u.index == 77);
    size_t count = 9;
    CHECK(vg_enroller_utterance_count(e, &count) == VG_RESULT_OK && count == 0);

    /* Silence is a finding, not an error. */
    CHECK(vg_enroller_push_f32(e, silence, 3 * 16000, 16000, &u) == VG_RESULT_OK);
    CHECK(u.index == 0 && !u.accepted && (u.findings & VG_FINDING_NO_SPEECH) && u.speech_s == 0.0f);
    char msg[512];
    size_t n = 0;
    CHECK(vg_enroller_finding_message(e, 0, VG_FINDING_NO_SPEECH, msg, sizeof msg, &n) == VG_RESULT_OK);
    CHECK(n > 10 && strstr(msg, "speech") != NULL);
    EXPECT(vg_enroller_finding_message(e, 0, VG_FINDING_CLIPPING, msg, sizeof msg, &n), VG_RESULT_INVALID_INPUT, "no finding");
    EXPECT(vg_enroller_finding_message(e, 5, VG_FINDING_NO_SPEECH, msg, sizeof msg, &n), VG_RESULT_INVALID_INPUT, "1 utterance(s)");
    EXPECT(vg_enroller_set_requirements(e, 1.0f, 1), VG_RESULT_INVALID_INPUT, "already pushed");
    vg_progress p;
    CHECK(vg_enroller_progress(e, &p) == VG_RESULT_OK && !p.sufficient && p.utterances == 0 && p.required_utterances == 3);

    /* Not enough speech yet: refused, the store unchanged. */
    EXPECT(vg_store_enroll(store, e, 0), VG_RESULT_INVALID_INPUT, "insufficient");
    EXPECT(vg_store_enroll(store, e, 0x10), VG_RESULT_INVALID_INPUT, "flags");
    EXPECT(vg_store_enroll(NULL, e, 0), VG_RESULT_NULL_PARAMETER, "store is NULL");
    vg_store_free(store);
    store = NULL;
    CHECK(vg_store_open(engine, path, key, 32, VG_STORE_READ, &ro) == VG_RESULT_OK);
    EXPECT(vg_store_enroll(ro, e, 0), VG_RESULT_INVALID_INPUT, "VG_STORE_READ");
    count = 9;
    CHECK(vg_store_member_count(ro, &count) == VG_RESULT_OK && count == 0);
    vg_store_free(ro);
    vg_enroller_free(e);
    remove(path);
}

static void gate_errors(vg_engine *engine) {
    uint8_t key[32] = {3};
    const char *path = path_in("gate.vgstore");
    remove(path);
    vg_store *store = NULL;
    CHECK(vg_store_open(engine, path, key, 32, VG_STORE_CREATE, &store) == VG_RESULT_OK && store);
    vg_gate *g = (vg_gate *)0x1; /* must stay untouched on failure */
    EXPECT(vg_gate_new(NULL, store, NULL, 0.0f, &g), VG_RESULT_NULL_PARAMETER, "engine is NULL");
    EXPECT(vg_gate_new(engine, NULL, NULL, 0.0f, &g), VG_RESULT_NULL_PARAMETER, "store is NULL");
    EXPECT(vg_gate_new(engine, store, NULL, 0.2f, &g), VG_RESULT_INVALID_INPUT, "gate latency");
    CHECK(g == (vg_gate *)0x1);
    g = NULL;
    /* An empty store is allowed: all speech is silenced. */
    CHECK(vg_gate_new(engine, store, NULL, 0.0f, &g) == VG_RESULT_OK && g);
    size_t lat = 0, n = 0;
    CHECK(vg_gate_latency_samples(g, &lat) == VG_RESULT_OK && lat == 64000);
    float x[320] = {0};
    int16_t pcm[640] = {0};
    EXPECT(vg_gate_push_f32(g, x, 320, 8000, &n), VG_RESULT_INVALID_INPUT, "16000 Hz");
    EXPECT(vg_gate_push_f32(g, x, 0, 16000, &n), VG_RESULT_INVALID_INPUT, "empty");
    EXPECT(vg_gate_push_f32(g, NULL, 320, 16000, &n), VG_RESULT_NULL_PARAMETER, "samples is NULL");
    EXPECT(vg_gate_push_f32(NULL, x, 320, 16000, &n), VG_RESULT_NULL_PARAMETER, "gate is NULL");
    EXPECT(vg_gate_push_i16(g, pcm, 320, 16000, NULL), VG_RESULT_NULL_PARAMETER, "accepted is NULL");
    CHECK(vg_gate_push_i16(g, pcm, 640, 16000, &n) == VG_RESULT_OK && n == 640);
    CHECK(vg_gate_process(g, NULL) == VG_RESULT_OK);
    EXPECT(vg_gate_pull_f32(g, NULL, 10, &n), VG_RESULT_NULL_PARAMETER, "out is NULL");
    CHECK(vg_gate_pull_f32(g, x, 320, &n) == VG_RESULT_OK && n == 320); /* latency zeros, at the input's pace */
    vg_gate_span span;
    bool got = true;
    EXPECT(vg_gate_next_span(g, NULL, &got), VG_RESULT_NULL_PARAMETER, "span is NULL");
    CHECK(vg_gate_flush(g) == VG_RESULT_OK);
    CHECK(vg_gate_next_span(g, &span, &got) == VG_RESULT_OK && got && span.label == VG_LABEL_NONSPEECH);
    CHECK(vg_gate_push_f32(g, x, 320, 16000, &n) == VG_RESULT_OK && n == 0); /* flushed */
    char name[8];
    EXPECT(vg_gate_member_name(g, 0, name, sizeof name, &n), VG_RESULT_INVALID_INPUT, "not one of the gate's 0 members");
    CHECK(vg_gate_reset(g) == VG_RESULT_OK);
    CHECK(vg_gate_push_f32(g, x, 320, 16000, &n) == VG_RESULT_OK && n == 320);
    vg_gate_free(g);
    vg_gate_free(NULL);
    vg_store_free(store);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: errors TMPDIR MODELS_DIR\n");
        return 2;
    }
    snprintf(tmpdir, sizeof tmpdir, "%s", argv[1]);
    snprintf(models, sizeof models, "%s", argv[2]);
    strings_and_codes();
    engine_errors();
    policy_errors();
    vg_engine *engine = NULL;
    vg_result r = vg_engine_new(&engine);
    CHECK(r == VG_RESULT_OK && engine);
    if (engine) {
        uint32_t hz = 0;
        CHECK(vg_engine_sample_rate(engine, &hz) == VG_RESULT_OK && hz == 16000);
        char id[64];
        size_t n = 0;
        CHECK(vg_engine_model_id(engine, id, sizeof id, &n) == VG_RESULT_OK && strncmp(id, "ge2e:", 5) == 0);
        EXPECT(vg_engine_model_id(engine, id, 3, &n), VG_RESULT_BUFFER_TOO_SMALL, "needed");
        store_errors(engine);
        screen_errors(engine);
        enroll_errors(engine);
        gate_errors(engine);
        vg_engine_free(engine);
    }
    printf("error paths: %d checks, %d failed\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
