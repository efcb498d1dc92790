/*
 * screen_wav: enroll household members from WAV files and screen WAV clips
 * with libvoiceguard, the way firmware would (16-bit PCM in and out).
 *
 *   screen_wav enroll  STORE KEYHEX NAME CLIP.wav...   enroll (or extend) NAME
 *   screen_wav members STORE KEYHEX                    list the members
 *   screen_wav screen  STORE KEYHEX OUTDIR CLIP.wav... screen clips; write the
 *                                                      passed or redacted audio
 *                                                      to OUTDIR/<clip name>
 *   screen_wav stream  STORE KEYHEX OUT.wav CLIP.wav   play a 16 kHz 16-bit mono
 *                                                      clip through the streaming
 *                                                      gate in 10 ms pushes; write
 *                                                      what it releases (aligned
 *                                                      with the input) to OUT.wav
 *
 * KEYHEX is the 32-byte store key as 64 hex digits. Set VG_MIN_SPEECH_S and
 * VG_MIN_UTTERANCES to lower the enrollment requirements (for short demos).
 * "screen" prints one line per clip, "<path>\t<decision>\t<reasons>", then
 * one line per span: "\t<start_s>\t<end_s>\t<label>\t<score>\t<keep|redact>".
 *
 * "stream" prints one line per decided span as it comes:
 * "<start_s>\t<end_s>\t<label>\t<score>", then "latency\t<samples>".
 *
 * Build: cc -std=c11 screen_wav.c $(pkg-config --cflags --libs voiceguard)
 * Exit status: 0 done, 1 error (the message from vg_last_error on stderr).
 */
#include "voiceguard.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- error reporting ---- */

static int fail(const char *what, vg_result r) {
    char msg[1024];
    size_t n = 0;
    if (vg_last_error(msg, sizeof msg, &n) != VG_RESULT_OK) {
        snprintf(msg, sizeof msg, "(message longer than %zu bytes)", sizeof msg);
    }
    fprintf(stderr, "screen_wav: %s failed: %s\n  %s\n", what, vg_result_str(r), msg);
    return 1;
}

/* ---- a small WAV reader and writer (PCM 16-bit, float 32-bit; any channels) ---- */

typedef struct {
    int16_t *pcm;   /* mono 16-bit samples, if the file is mono 16-bit */
    float *f32;     /* otherwise mono float samples (channels averaged) */
    size_t frames;
    uint32_t rate;
} wav_audio;

static uint32_t le32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint16_t le16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }

static int read_wav(const char *path, wav_audio *out) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "screen_wav: cannot open %s\n", path);
        return -1;
    }
    unsigned char *bytes = NULL;
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0) size = ftell(f);
    if (size < 12 || fseek(f, 0, SEEK_SET) != 0 || !(bytes = malloc((size_t)size)) ||
        fread(bytes, 1, (size_t)size, f) != (size_t)size) {
        fprintf(stderr, "screen_wav: cannot read %s\n", path);
        free(bytes);
        fclose(f);
        return -1;
    }
    fclose(f);
    int ok = -1;
    uint16_t format = 0, channels = 0, bits = 0;
    uint32_t rate = 0;
    const unsigned char *data = NULL;
    size_t data_len = 0;
    if (memcmp(bytes, "RIFF", 4) != 0 || memcmp(bytes + 8, "WAVE", 4) != 0) goto bad;
    for (size_t pos = 12; pos + 8 <= (size_t)size;) {
        uint32_t len = le32(bytes + pos + 4);
        const unsigned char *body = bytes + pos + 8;
        if (len > (size_t)size - pos - 8) len = (uint32_t)((size_t)size - pos - 8);
        if (memcmp(bytes + pos, "fmt ", 4) == 0 && len >= 16) {
            format = le16(body);
            channels = le16(body + 2);
            rate = le32(body + 4);
            bits = le16(body + 14);
            if (format == 0xFFFE && len >= 26) format = le16(body + 24); /* extensible */
        } else if (memcmp(bytes + pos, "data", 4) == 0) {
            data = body;
            data_len = len;
        }
        pos += 8 + (size_t)len + (len & 1);
    }
    if (!data || channels == 0 || !((format == 1 && bits == 16) || (format == 3 && bits == 32))) {
        goto bad;
    }
    size_t frame_bytes = (size_t)channels * (bits / 8);
    out->frames = data_len / frame_bytes;
    out->rate = rate;
    out->pcm = NULL;
    out->f32 = NULL;
    if (out->frames == 0) goto bad;
    if (format == 1 && channels == 1) {
        out->pcm = malloc(out->frames * sizeof *out->pcm);
        if (!out->pcm) goto bad;
        for (size_t i = 0; i < out->frames; i++) out->pcm[i] = (int16_t)le16(data + 2 * i);
    } else {
        /* Channels averaged as voiceguard does: sum, then times 1/channels. */
        out->f32 = malloc(out->frames * sizeof *out->f32);
        if (!out->f32) goto bad;
        float scale = 1.0f / (float)channels;
        for (size_t i = 0; i < out->frames; i++) {
            float sum = 0.0f;
            for (uint16_t c = 0; c < channels; c++) {
                const unsigned char *p = data + i * frame_bytes + (size_t)c * (bits / 8);
                if (format == 1) {
                    sum += (float)(int16_t)le16(p) / 32768.0f;
                } else {
                    uint32_t u = le32(p);
                    float v;
                    memcpy(&v, &u, sizeof v);
                    sum += v;
                }
            }
            out->f32[i] = sum * scale;
        }
    }
    ok = 0;
bad:
    if (ok != 0) fprintf(stderr, "screen_wav: %s is not a 16-bit or float WAV file\n", path);
    free(bytes);
    return ok;
}

static void put16(unsigned char *p, uint16_t v) { p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); }
static void put32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* Writes mono 16-bit PCM, or 32-bit float when pcm is NULL. */
static int write_wav(const char *path, const int16_t *pcm, const float *f32, size_t n, uint32_t rate) {
    uint16_t bits = pcm ? 16 : 32;
    uint32_t data_len = (uint32_t)(n * (bits / 8));
    unsigned char h[44];
    memcpy(h, "RIFF", 4);
    put32(h + 4, 36 + data_len);
    memcpy(h + 8, "WAVEfmt ", 8);
    put32(h + 16, 16);
    put16(h + 20, pcm ? 1 : 3);
    put16(h + 22, 1);
    put32(h + 24, rate);
    put32(h + 28, rate * (bits / 8));
    put16(h + 32, bits / 8);
    put16(h + 34, bits);
    memcpy(h + 36, "data", 4);
    put32(h + 40, data_len);
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int ok = fwrite(h, 1, sizeof h, f) == sizeof h;
    for (size_t i = 0; ok && i < n; i++) {
        unsigned char b[4];
        if (pcm) {
            put16(b, (uint16_t)pcm[i]);
        } else {
            uint32_t u;
            memcpy(&u, &f32[i], sizeof u);
            put32(b, u);
        }
        ok = fwrite(b, 1, bits / 8, f) == bits / 8;
    }
    if (fclose(f) != 0) ok = 0;
    return ok ? 0 : -1;
}

static const char *base_name(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static int parse_key(const char *hex, uint8_t key[32]) {
    if (strlen(hex) != 64) return -1;
    for (int i = 0; i < 32; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1) return -1;
        key[i] = (uint8_t)v;
    }
    return 0;
}

/* ---- commands ---- */

static int enroll(vg_engine *engine, vg_store *store, const char *name, char **clips, int n_clips) {
    vg_enroller *e = NULL;
    vg_result r = vg_enroller_new(engine, store, name, &e);
    if (r != VG_RESULT_OK) return fail("vg_enroller_new", r);
    const char *min_s = getenv("VG_MIN_SPEECH_S"), *min_n = getenv("VG_MIN_UTTERANCES");
    if (min_s || min_n) {
        r = vg_enroller_set_requirements(e, min_s ? (float)atof(min_s) : 15.0f,
                                         min_n ? (uint32_t)atoi(min_n) : 3u);
        if (r != VG_RESULT_OK) {
            vg_enroller_free(e);
            return fail("vg_enroller_set_requirements", r);
        }
    }
    int status = 0;
    for (int i = 0; i < n_clips && status == 0; i++) {
        wav_audio a;
        if (read_wav(clips[i], &a) != 0) {
            status = 1;
            break;
        }
        vg_utterance u;
        r = a.pcm ? vg_enroller_push_i16(e, a.pcm, a.frames, a.rate, &u)
                  : vg_enroller_push_f32(e, a.f32, a.frames, a.rate, &u);
        free(a.pcm);
        free(a.f32);
        if (r != VG_RESULT_OK) {
            status = fail("vg_enroller_push", r);
            break;
        }
        printf("%s: %s, %.1f s of speech\n", clips[i], u.accepted ? "accepted" : "rejected",
               (double)u.speech_s);
        for (uint32_t bit = 1; bit <= VG_FINDING_OTHER; bit <<= 1) {
            if (!(u.findings & bit)) continue;
            char msg[512];
            size_t n;
            if (vg_enroller_finding_message(e, u.index, bit, msg, sizeof msg, &n) != VG_RESULT_OK) {
                snprintf(msg, sizeof msg, "(no message)");
            }
            printf("  - [%s] %s\n", vg_finding_str(bit), msg);
        }
    }
    vg_progress p;
    if (status == 0 && (r = vg_enroller_progress(e, &p)) != VG_RESULT_OK) {
        status = fail("vg_enroller_progress", r);
    }
    if (status == 0) {
        printf("progress: %.1f of %.0f s of speech, %u of %u utterances\n", (double)p.speech_s,
               (double)p.required_speech_s, p.utterances, p.required_utterances);
        r = vg_store_enroll(store, e, 0);
        if (r != VG_RESULT_OK) {
            status = fail("vg_store_enroll", r);
        } else {
            printf("enrolled %s\n", name);
        }
    }
    vg_enroller_free(e);
    return status;
}

static int members(vg_store *store) {
    size_t n = 0;
    vg_result r = vg_store_member_count(store, &n);
    if (r != VG_RESULT_OK) return fail("vg_store_member_count", r);
    for (size_t i = 0; i < n; i++) {
        size_t len = 0;
        /* Ask for the length, then allocate: works for any name. */
        if ((r = vg_store_member_name(store, i, NULL, 0, &len)) != VG_RESULT_OK) {
            return fail("vg_store_member_name", r);
        }
        char *name = malloc(len + 1);
        vg_member_info info;
        if (!name) return 1;
        if ((r = vg_store_member_name(store, i, name, len + 1, &len)) != VG_RESULT_OK ||
            (r = vg_store_member_info(store, i, &info)) != VG_RESULT_OK) {
            free(name);
            return fail("vg_store_member_*", r);
        }
        printf("%s\t%u utterances\t%.1f s\tconsistency %.3f\n", name, info.utterances,
               (double)info.speech_s, (double)info.consistency);
        free(name);
    }
    return 0;
}

static const char *label_name(int32_t label) {
    switch (label) {
    case VG_LABEL_NONSPEECH: return "nonspeech";
    case VG_LABEL_MEMBER: return "member";
    case VG_LABEL_OTHER: return "other";
    case VG_LABEL_UNCERTAIN: return "uncertain";
    default: return "?";
    }
}

static int screen_one(vg_engine *engine, vg_store *store, const char *outdir, const char *clip) {
    wav_audio a;
    if (read_wav(clip, &a) != 0) return 1;
    vg_decision d = VG_DECISION_HOLD;
    vg_screening *s = NULL;
    vg_result r = a.pcm ? vg_screen_i16(engine, store, NULL, a.pcm, a.frames, a.rate, &d, &s)
                        : vg_screen_f32(engine, store, NULL, a.f32, a.frames, a.rate, &d, &s);
    if (r != VG_RESULT_OK) {
        /* d is VG_DECISION_HOLD here: nothing is released. */
        printf("%s\t%s\terror\n", clip, vg_decision_str(d));
        free(a.pcm);
        free(a.f32);
        return fail("vg_screen", r);
    }
    uint32_t reasons = 0;
    size_t n_spans = 0;
    int status = 0;
    if ((r = vg_screening_reasons(s, &reasons)) != VG_RESULT_OK ||
        (r = vg_screening_span_count(s, &n_spans)) != VG_RESULT_OK) {
        status = fail("vg_screening_*", r);
    }
    if (status == 0) printf("%s\t%s\t%#x\n", clip, vg_decision_str(d), reasons);
    for (size_t i = 0; status == 0 && i < n_spans; i++) {
        vg_span sp;
        if ((r = vg_screening_span(s, i, &sp)) != VG_RESULT_OK) {
            status = fail("vg_screening_span", r);
            break;
        }
        char who[256] = "";
        size_t n = 0;
        if (sp.label == VG_LABEL_MEMBER &&
            (r = vg_screening_span_member(s, i, who, sizeof who, &n)) != VG_RESULT_OK) {
            status = fail("vg_screening_span_member", r);
            break;
        }
        printf("\t%.3f\t%.3f\t%s%s%s\t%.4f\t%s\n", sp.start_s, sp.end_s, label_name(sp.label),
               who[0] ? ":" : "", who, isnan(sp.score) ? -2.0 : (double)sp.score,
               sp.redacted ? "redact" : "keep");
    }
    if (status == 0 && d != VG_DECISION_HOLD && outdir) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", outdir, base_name(clip));
        size_t written = 0;
        if (a.pcm) {
            int16_t *out = malloc(a.frames * sizeof *out);
            if (!out) status = 1;
            else if ((r = vg_screening_output_i16(s, out, a.frames, &written)) != VG_RESULT_OK)
                status = fail("vg_screening_output_i16", r);
            else if (write_wav(path, out, NULL, written, a.rate) != 0) {
                fprintf(stderr, "screen_wav: cannot write %s\n", path);
                status = 1;
            }
            free(out);
        } else {
            float *out = malloc(a.frames * sizeof *out);
            if (!out) status = 1;
            else if ((r = vg_screening_output_f32(s, out, a.frames, &written)) != VG_RESULT_OK)
                status = fail("vg_screening_output_f32", r);
            else if (write_wav(path, NULL, out, written, a.rate) != 0) {
                fprintf(stderr, "screen_wav: cannot write %s\n", path);
                status = 1;
            }
            free(out);
        }
    }
    vg_screening_free(s);
    free(a.pcm);
    free(a.f32);
    return status;
}

/* Moves everything the gate has released into out[] (skipping the first
 * `skip` samples: the latency's zeros) and prints the spans decided so far. */
static int drain(vg_gate *gate, int16_t *out, size_t cap, size_t *n_out, size_t *skip) {
    int16_t buf[1024];
    size_t got = 0;
    vg_result r;
    do {
        if ((r = vg_gate_pull_i16(gate, buf, sizeof buf / sizeof *buf, &got)) != VG_RESULT_OK)
            return fail("vg_gate_pull_i16", r);
        size_t from = *skip < got ? *skip : got;
        *skip -= from;
        for (size_t i = from; i < got && *n_out < cap; i++) out[(*n_out)++] = buf[i];
    } while (got > 0);
    bool have = false;
    vg_gate_span sp;
    for (;;) {
        if ((r = vg_gate_next_span(gate, &sp, &have)) != VG_RESULT_OK) return fail("vg_gate_next_span", r);
        if (!have) break;
        char who[256] = "";
        size_t n = 0;
        if (sp.label == VG_LABEL_MEMBER &&
            (r = vg_gate_member_name(gate, sp.member, who, sizeof who, &n)) != VG_RESULT_OK)
            return fail("vg_gate_member_name", r);
        printf("%.3f\t%.3f\t%s%s%s\t%.4f\n", sp.start_s, sp.end_s, label_name(sp.label), who[0] ? ":" : "", who,
               isnan(sp.score) ? -2.0 : (double)sp.score);
    }
    return 0;
}

static int stream_one(vg_engine *engine, vg_store *store, const char *out_path, const char *clip) {
    wav_audio a;
    if (read_wav(clip, &a) != 0) return 1;
    if (!a.pcm || a.rate != 16000) {
        fprintf(stderr, "screen_wav: stream needs a 16 kHz 16-bit mono WAV; %s is not\n", clip);
        free(a.pcm);
        free(a.f32);
        return 1;
    }
    vg_gate *gate = NULL;
    int16_t *out = malloc(a.frames * sizeof *out + 1);
    size_t n_out = 0, latency = 0;
    int status = 0;
    vg_result r = vg_gate_new(engine, store, NULL, 0.0f, &gate);
    if (r != VG_RESULT_OK) status = fail("vg_gate_new", r);
    else if ((r = vg_gate_latency_samples(gate, &latency)) != VG_RESULT_OK) status = fail("vg_gate_latency_samples", r);
    if (!out) status = 1;
    size_t skip = latency;
    for (size_t at = 0; status == 0 && at < a.frames;) {
        size_t n = a.frames - at < 160 ? a.frames - at : 160, taken = 0;
        if ((r = vg_gate_push_i16(gate, a.pcm + at, n, 16000, &taken)) != VG_RESULT_OK) {
            status = fail("vg_gate_push_i16", r);
        } else if ((r = vg_gate_process(gate, NULL)) != VG_RESULT_OK) {
            status = fail("vg_gate_process", r);
        } else {
            at += taken;
            status = drain(gate, out, a.frames, &n_out, &skip);
        }
    }
    if (status == 0) {
        if ((r = vg_gate_flush(gate)) != VG_RESULT_OK) status = fail("vg_gate_flush", r);
        else status = drain(gate, out, a.frames, &n_out, &skip);
    }
    if (status == 0) {
        printf("latency\t%zu\n", latency);
        if (n_out != a.frames) {
            fprintf(stderr, "screen_wav: the gate released %zu of %zu samples\n", n_out, a.frames);
            status = 1;
        } else if (write_wav(out_path, out, NULL, n_out, 16000) != 0) {
            fprintf(stderr, "screen_wav: cannot write %s\n", out_path);
            status = 1;
        }
    }
    vg_gate_free(gate);
    free(out);
    free(a.pcm);
    free(a.f32);
    return status;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr,
                "usage: screen_wav enroll STORE KEYHEX NAME CLIP.wav...\n"
                "       screen_wav members STORE KEYHEX\n"
                "       screen_wav screen STORE KEYHEX OUTDIR CLIP.wav...\n"
                "       screen_wav stream STORE KEYHEX OUT.wav CLIP.wav\n");
        return 2;
    }
    const char *cmd = argv[1], *store_path = argv[2];
    uint8_t key[32];
    if (parse_key(argv[3], key) != 0) {
        fprintf(stderr, "screen_wav: KEYHEX must be 64 hex digits (32 bytes)\n");
        return 2;
    }
    int is_enroll = strcmp(cmd, "enroll") == 0, is_screen = strcmp(cmd, "screen") == 0;
    int is_stream = strcmp(cmd, "stream") == 0;
    if ((is_enroll && argc < 6) || (is_screen && argc < 6) || (is_stream && argc != 6) ||
        (!is_enroll && !is_screen && !is_stream && strcmp(cmd, "members") != 0)) {
        fprintf(stderr, "screen_wav: bad arguments for %s\n", cmd);
        return 2;
    }
    vg_engine *engine = NULL;
    vg_store *store = NULL;
    vg_result r = vg_engine_new(&engine);
    if (r != VG_RESULT_OK) return fail("vg_engine_new", r);
    r = vg_store_open(engine, store_path, key, sizeof key, is_enroll ? VG_STORE_CREATE : VG_STORE_READ,
                      &store);
    memset(key, 0, sizeof key);
    int status;
    if (r != VG_RESULT_OK) {
        status = fail("vg_store_open", r);
    } else if (is_enroll) {
        status = enroll(engine, store, argv[4], argv + 5, argc - 5);
    } else if (is_screen) {
        status = 0;
        for (int i = 5; i < argc && status == 0; i++) status = screen_one(engine, store, argv[4], argv[i]);
    } else if (is_stream) {
        status = stream_one(engine, store, argv[4], argv[5]);
    } else {
        status = members(store);
    }
    vg_store_free(store);
    vg_engine_free(engine);
    return status;
}
