/* SPDX-License-Identifier: Apache-2.0 */
/* CC event log (TCG2 crypto-agile, as in the ACPI CCEL table) parsing, MR replay, and the event
 * claims in Trustee's layout (TRUSTEE.md 7.14). */
#include "tee/tee_ccel.h"

#include <string.h>

#include "base/base_buf.h"
#include "base/base_mem.h"
#include "base/base_str.h"
#include "codec/codec_b64.h"
#include "codec/codec_hex.h"

#define EV_NO_ACTION 0x3u
#define EV_EFI_BASE 0x80000000u

/* TCG PC Client PFP, event types. An unknown type is an error, as in Trustee. */
struct ev_name {
    uint32_t type;
    const char *name;
};

static const struct ev_name ev_names[] = {
    {0x0, "EV_PREBOOT_CERT"},
    {0x1, "EV_POST_CODE"},
    {0x2, "EV_UNUSED"},
    {0x3, "EV_NO_ACTION"},
    {0x4, "EV_SEPARATOR"},
    {0x5, "EV_ACTION"},
    {0x6, "EV_EVENT_TAG"},
    {0x7, "EV_S_CRTM_CONTENTS"},
    {0x8, "EV_S_CRTM_VERSION"},
    {0x9, "EV_CPU_MICROCODE"},
    {0xa, "EV_PLATFORM_CONFIG_FLAGS"},
    {0xb, "EV_TABLE_OF_DEVICES"},
    {0xc, "EV_COMPACT_HASH"},
    {0xd, "EV_IPL"},
    {0xe, "EV_IPL_PARTITION_DATA"},
    {0xf, "EV_NONHOST_CODE"},
    {0x10, "EV_NONHOST_CONFIG"},
    {0x11, "EV_NONHOST_INFO"},
    {0x12, "EV_OMIT_BOOT_DEVICE_EVENTS"},
    {0x13, "EV_POST_CODE2"},
    {EV_EFI_BASE, "EV_EFI_EVENT_BASE"},
    {EV_EFI_BASE + 0x1, "EV_EFI_VARIABLE_DRIVER_CONFIG"},
    {EV_EFI_BASE + 0x2, "EV_EFI_VARIABLE_BOOT"},
    {EV_EFI_BASE + 0x3, "EV_EFI_BOOT_SERVICES_APPLICATION"},
    {EV_EFI_BASE + 0x4, "EV_EFI_BOOT_SERVICES_DRIVER"},
    {EV_EFI_BASE + 0x5, "EV_EFI_RUNTIME_SERVICES_DRIVER"},
    {EV_EFI_BASE + 0x6, "EV_EFI_GPT_EVENT"},
    {EV_EFI_BASE + 0x7, "EV_EFI_ACTION"},
    {EV_EFI_BASE + 0x8, "EV_EFI_PLATFORM_FIRMWARE_BLOB"},
    {EV_EFI_BASE + 0x9, "EV_EFI_HANDOFF_TABLES"},
    {EV_EFI_BASE + 0xa, "EV_EFI_PLATFORM_FIRMWARE_BLOB2"},
    {EV_EFI_BASE + 0xb, "EV_EFI_HANDOFF_TABLES2"},
    {EV_EFI_BASE + 0xc, "EV_EFI_VARIABLE_BOOT2"},
    {EV_EFI_BASE + 0x10, "EV_EFI_HCRTM_EVENT"},
    {EV_EFI_BASE + 0xe0, "EV_EFI_VARIABLE_AUTHORITY"},
    {EV_EFI_BASE + 0xe1, "EV_EFI_SPDM_FIRMWARE_BLOB"},
    {EV_EFI_BASE + 0xe2, "EV_EFI_SPDM_FIRMWARE_CONFIG"},
};

static const char *ev_name(uint32_t type)
{
    for (size_t i = 0; i < sizeof ev_names / sizeof ev_names[0]; i++) {
        if (ev_names[i].type == type) {
            return ev_names[i].name;
        }
    }
    return NULL;
}

static bool alg_hash(uint16_t alg, enum ay_hash *h)
{
    switch (alg) {
    case AY_TCG_ALG_SHA256:
        *h = AY_HASH_SHA256;
        return true;
    case AY_TCG_ALG_SHA384:
        *h = AY_HASH_SHA384;
        return true;
    case AY_TCG_ALG_SHA512:
        *h = AY_HASH_SHA512;
        return true;
    case AY_TCG_ALG_SM3:
        *h = AY_HASH_SM3;
        return true;
    default:
        return false;
    }
}

static const char *alg_name(uint16_t alg)
{
    switch (alg) {
    case AY_TCG_ALG_SHA1:
        return "SHA-1";
    case AY_TCG_ALG_SHA256:
        return "SHA-256";
    case AY_TCG_ALG_SHA384:
        return "SHA-384";
    case AY_TCG_ALG_SHA512:
        return "SHA-512";
    case AY_TCG_ALG_SM3:
        return "SM3";
    default:
        return "unknown";
    }
}

static const uint8_t spec_id_sig[16] = "Spec ID Event03";

bool ay_ccel_sniff(struct ay_span in)
{
    /* SHA-1 format header: pcr, type, digest[20], size, then the Spec ID signature at 32. */
    return in.len >= 48 && memcmp(in.ptr + 32, spec_id_sig, 16) == 0;
}

static bool end_marker(const struct ay_cur *c)
{
    struct ay_span r = ay_cur_rest(c);
    if (r.len < 8) {
        return true;
    }
    bool zeros = true, ones = true;
    for (size_t i = 0; i < 8; i++) {
        zeros = zeros && r.ptr[i] == 0x00;
        ones = ones && r.ptr[i] == 0xff;
    }
    return zeros || ones;
}

static ay_err parse_header(struct ay_diag *d, struct ay_cur *c, struct ay_ccel_log *log)
{
    /* First event, SHA-1 format; if EV_NO_ACTION, the TCG_EfiSpecIDEvent algorithm table. */
    uint32_t pcr, type, size;
    struct ay_cur data;
    ENSURE(ay_cur_u32le(c, &pcr) == AY_OK && ay_cur_u32le(c, &type) == AY_OK &&
               ay_cur_skip(c, 20) == AY_OK && ay_cur_u32le(c, &size) == AY_OK &&
               ay_cur_sub(c, size, &data) == AY_OK,
           FAIL(d, AY_ERR_TRUNCATED, "event log: header event truncated"));
    ENSURE(type == EV_NO_ACTION,
           FAIL(d, AY_ERR_MALFORMED, "event log: first event is not the Spec ID event"));
    uint8_t sig[16];
    uint32_t n_algs;
    ENSURE(ay_cur_copy(&data, sig, 16) == AY_OK && ay_cur_skip(&data, 8) == AY_OK &&
               ay_cur_u32le(&data, &n_algs) == AY_OK,
           FAIL(d, AY_ERR_TRUNCATED, "event log: Spec ID event truncated"));
    ENSURE(memcmp(sig, spec_id_sig, 16) == 0,
           FAIL(d, AY_ERR_MALFORMED, "event log: not a Spec ID Event03 log"));
    ENSURE(n_algs >= 1 && n_algs <= AY_CCEL_MAX_ALGS,
           FAIL(d, AY_ERR_LIMIT, "event log: %u digest algorithms", (unsigned)n_algs));
    for (size_t i = 0; i < n_algs; i++) {
        ENSURE(ay_cur_u16le(&data, &log->alg_ids[i]) == AY_OK &&
                   ay_cur_u16le(&data, &log->alg_sizes[i]) == AY_OK,
               FAIL(d, AY_ERR_TRUNCATED, "event log: algorithm table truncated"));
        ENSURE(log->alg_sizes[i] >= 1 && log->alg_sizes[i] <= AY_HASH_MAX,
               FAIL(d, AY_ERR_MALFORMED, "event log: digest size %u", log->alg_sizes[i]));
    }
    log->n_algs = n_algs;
    (void)pcr;
    return AY_OK;
}

static ay_err parse_event(struct ay_diag *d, struct ay_cur *c, const struct ay_ccel_log *log,
                          struct ay_ccel_event *ev)
{
    uint32_t count, size;
    ENSURE(ay_cur_u32le(c, &ev->index) == AY_OK && ay_cur_u32le(c, &ev->type) == AY_OK &&
               ay_cur_u32le(c, &count) == AY_OK,
           FAIL(d, AY_ERR_TRUNCATED, "event log: event header truncated"));
    ENSURE(ev_name(ev->type) != NULL,
           FAIL(d, AY_ERR_MALFORMED, "event log: unknown event type 0x%x", (unsigned)ev->type));
    ENSURE(count <= AY_CCEL_MAX_ALGS,
           FAIL(d, AY_ERR_LIMIT, "event log: %u digests in one event", (unsigned)count));
    ev->n_digests = count;
    for (size_t i = 0; i < count; i++) {
        uint16_t alg;
        size_t k = 0;
        ENSURE(ay_cur_u16le(c, &alg) == AY_OK,
               FAIL(d, AY_ERR_TRUNCATED, "event log: digest truncated"));
        while (k < log->n_algs && log->alg_ids[k] != alg) {
            k++;
        }
        ENSURE(k < log->n_algs,
               FAIL(d, AY_ERR_MALFORMED, "event log: digest algorithm 0x%04x not in the Spec ID "
                                         "event", alg));
        ev->digests[i].alg = alg;
        ENSURE(ay_cur_bytes(c, log->alg_sizes[k], &ev->digests[i].value) == AY_OK,
               FAIL(d, AY_ERR_TRUNCATED, "event log: digest truncated"));
    }
    ENSURE(ay_cur_u32le(c, &size) == AY_OK && size <= AY_CCEL_MAX_EVENT_DATA &&
               ay_cur_bytes(c, size, &ev->data) == AY_OK,
           FAIL(d, AY_ERR_TRUNCATED, "event log: event data truncated"));
    return AY_OK;
}

ay_err ay_ccel_parse(struct ay_diag *d, struct ay_span in, struct ay_ccel_log *out)
{
    struct ay_ccel_log log;
    struct ay_cur c;
    size_t cap = 0;
    memset(&log, 0, sizeof log);
    ay_cur_init(&c, in);
    TRY(parse_header(d, &c, &log));
    while (!end_marker(&c)) {
        struct ay_ccel_event ev;
        memset(&ev, 0, sizeof ev);
        ay_err e = parse_event(d, &c, &log, &ev);
        if (e == AY_OK && log.n_events == AY_CCEL_MAX_EVENTS) {
            e = FAIL(d, AY_ERR_LIMIT, "event log: more than %d events", AY_CCEL_MAX_EVENTS);
        }
        if (e != AY_OK) {
            ay_free(log.events);
            return e;
        }
        if (log.n_events == cap) {
            cap = cap == 0 ? 32 : cap * 2;
            log.events = ay_xrealloc(log.events, cap * sizeof *log.events);
        }
        log.events[log.n_events++] = ev;
    }
    log.end_offset = ay_cur_pos(&c);
    *out = log;
    return AY_OK;
}

void ay_ccel_free(struct ay_ccel_log *log)
{
    if (log != NULL) {
        ay_free(log->events);
        log->events = NULL;
        log->n_events = 0;
    }
}

ay_err ay_ccel_replay(struct ay_diag *d, const struct ay_ccel_log *log, enum ay_hash h,
                      uint8_t out[4][AY_HASH_MAX])
{
    size_t n = ay_hash_len(h);
    memset(out, 0, 4 * AY_HASH_MAX);
    for (size_t i = 0; i < log->n_events; i++) {
        const struct ay_ccel_event *ev = &log->events[i];
        if (ev->index < 1 || ev->index > 4 || ev->type == EV_NO_ACTION) {
            continue;
        }
        for (size_t k = 0; k < ev->n_digests; k++) {
            enum ay_hash eh;
            if (!alg_hash(ev->digests[k].alg, &eh) || eh != h) {
                continue;
            }
            uint8_t buf[2 * AY_HASH_MAX];
            memcpy(buf, out[ev->index - 1], n);
            memcpy(buf + n, ev->digests[k].value.ptr, n);
            ENSURE(ay_hash(h, buf, 2 * n, out[ev->index - 1]) == AY_OK,
                   FAIL(d, AY_ERR_CRYPTO, "event log: hash failed"));
        }
    }
    return AY_OK;
}

/* ---- Trustee's event details ---- */

static json_t *jstr_n(const uint8_t *p, size_t n)
{
    /* Lossy UTF-8, like Rust's from_utf8_lossy. */
    struct ay_buf b;
    ay_buf_init(&b, NULL, 1u << 24);
    ay_buf_put(&b, p, n);
    json_t *s = NULL;
    if (ay_buf_finish(&b) == AY_OK) {
        s = ay_utf8_valid(b.ptr, b.len) ? json_stringn(b.ptr, b.len) : NULL;
        if (s == NULL) {
            struct ay_buf q;
            ay_buf_init(&q, NULL, 1u << 24);
            ay_buf_json_str(&q, b.ptr, b.len);
            if (ay_buf_finish(&q) == AY_OK) {
                s = json_loadb(q.ptr, q.len, JSON_DECODE_ANY, NULL);
            }
            ay_buf_free(&q);
        }
    }
    ay_buf_free(&b);
    return s != NULL ? s : json_string("");
}

static size_t nul_len(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n && p[i] != 0) {
        i++;
    }
    return i;
}

/* UTF-16LE to a JSON string (stops at NUL). */
static json_t *utf16(const uint8_t *p, size_t n_units)
{
    struct ay_buf b;
    ay_buf_init(&b, NULL, 1u << 20);
    for (size_t i = 0; i < n_units; i++) {
        uint32_t u = (uint32_t)p[2 * i] | (uint32_t)p[2 * i + 1] << 8;
        if (u == 0) {
            break;
        }
        if (u >= 0xd800 && u <= 0xdbff && i + 1 < n_units) {
            uint32_t lo = (uint32_t)p[2 * i + 2] | (uint32_t)p[2 * i + 3] << 8;
            if (lo >= 0xdc00 && lo <= 0xdfff) {
                u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
                i++;
            } else {
                u = 0xfffd;
            }
        } else if (u >= 0xd800 && u <= 0xdfff) {
            u = 0xfffd;
        }
        char enc[4];
        size_t k;
        if (u < 0x80) {
            enc[0] = (char)u;
            k = 1;
        } else if (u < 0x800) {
            enc[0] = (char)(0xc0 | (u >> 6));
            enc[1] = (char)(0x80 | (u & 0x3f));
            k = 2;
        } else if (u < 0x10000) {
            enc[0] = (char)(0xe0 | (u >> 12));
            enc[1] = (char)(0x80 | ((u >> 6) & 0x3f));
            enc[2] = (char)(0x80 | (u & 0x3f));
            k = 3;
        } else {
            enc[0] = (char)(0xf0 | (u >> 18));
            enc[1] = (char)(0x80 | ((u >> 12) & 0x3f));
            enc[2] = (char)(0x80 | ((u >> 6) & 0x3f));
            enc[3] = (char)(0x80 | (u & 0x3f));
            k = 4;
        }
        ay_buf_put(&b, enc, k);
    }
    json_t *s = ay_buf_finish(&b) == AY_OK ? json_stringn(b.ptr, b.len) : NULL;
    ay_buf_free(&b);
    return s != NULL ? s : json_string("");
}

/* EFI_GUID in its usual text form (first three fields little-endian), upper case. */
static void guid_text(const uint8_t *g, bool upper, bool byte_order, char out[37])
{
    static const char lo[] = "0123456789abcdef", up[] = "0123456789ABCDEF";
    const char *hx = upper ? up : lo;
    static const int std_order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
    size_t k = 0;
    for (int i = 0; i < 16; i++) {
        int b = byte_order ? i : std_order[i];
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            out[k++] = '-';
        }
        out[k++] = hx[g[b] >> 4];
        out[k++] = hx[g[b] & 15];
    }
    out[k] = '\0';
}

static ay_err efi_variable(struct ay_cur *c, json_t *det)
{
    /* UEFI_VARIABLE_DATA: GUID, name length u64 (chars), data length u64, name, data. */
    uint8_t guid[16];
    uint64_t nlen, dlen;
    struct ay_span name, data;
    TRY(ay_cur_copy(c, guid, 16));
    TRY(ay_cur_u64le(c, &nlen));
    TRY(ay_cur_u64le(c, &dlen));
    ENSURE(nlen <= ay_cur_left(c) / 2, AY_ERR_MALFORMED);
    TRY(ay_cur_bytes(c, (size_t)nlen * 2, &name));
    ENSURE(dlen <= ay_cur_left(c), AY_ERR_MALFORMED);
    TRY(ay_cur_bytes(c, (size_t)dlen, &data));
    char g[37];
    guid_text(guid, false, true, g);
    json_object_set_new(det, "unicode_name", utf16(name.ptr, (size_t)nlen));
    json_object_set_new(det, "unicode_name_length", json_integer((json_int_t)nlen));
    struct ay_buf b;
    ay_buf_init(&b, NULL, AY_CCEL_MAX_EVENT_DATA * 2);
    ay_b64_encode(AY_B64_STD, data.ptr, data.len, &b);
    if (ay_buf_finish(&b) == AY_OK) {
        json_object_set_new(det, "variable_data", json_stringn(b.len > 0 ? b.ptr : "", b.len));
    }
    ay_buf_free(&b);
    json_object_set_new(det, "variable_data_length", json_integer((json_int_t)dlen));
    json_object_set_new(det, "variable_name", json_string(g));
    return AY_OK;
}

/* Reads for nodes whose length was checked first: a short read gives 0. */
static uint8_t rd8(struct ay_cur *c)
{
    uint8_t v = 0;
    return ay_cur_u8(c, &v) == AY_OK ? v : 0;
}

static uint16_t rd16(struct ay_cur *c)
{
    uint16_t v = 0;
    return ay_cur_u16le(c, &v) == AY_OK ? v : 0;
}

static uint32_t rd32(struct ay_cur *c)
{
    uint32_t v = 0;
    return ay_cur_u32le(c, &v) == AY_OK ? v : 0;
}

static uint64_t rd64(struct ay_cur *c)
{
    uint64_t v = 0;
    return ay_cur_u64le(c, &v) == AY_OK ? v : 0;
}

static void device_path_node(uint8_t t, uint8_t s, struct ay_span v, struct ay_buf *b)
{
    struct ay_cur c;
    ay_cur_init(&c, v);
    if (t == 2 && s == 1 && v.len == 8) {
        /* ACPI: compressed EISA HID ("PNP0A03") and UID. */
        uint32_t hid = rd32(&c);
        uint32_t uid = rd32(&c);
        uint16_t vendor = (uint16_t)hid;
        ay_buf_printf(b, "ACPI(%c%c%c%04X,%u)", (char)('@' + ((vendor >> 10) & 0x1f)),
                      (char)('@' + ((vendor >> 5) & 0x1f)), (char)('@' + (vendor & 0x1f)),
                      (unsigned)(hid >> 16), (unsigned)uid);
        return;
    }
    if (t == 1 && s == 1 && v.len == 2) {
        ay_buf_printf(b, "Pci(%u,%u)", v.ptr[0], v.ptr[1]);
        return;
    }
    if (t == 4 && s == 1 && v.len == 38) {
        uint32_t part = rd32(&c);
        uint64_t start = rd64(&c);
        uint64_t size = rd64(&c);
        uint8_t sig[16];
        for (size_t i = 0; i < 16; i++) {
            sig[i] = rd8(&c);
        }
        uint8_t mbr = rd8(&c);
        uint8_t sigtype = rd8(&c);
        (void)mbr;
        if (sigtype == 2) {
            char g[37];
            guid_text(sig, true, false, g);
            ay_buf_printf(b, "HD(%u,GPT,%s,0x%llx,0x%llx)", (unsigned)part, g,
                          (unsigned long long)start, (unsigned long long)size);
        } else {
            ay_buf_printf(b, "HD(%u,MBR,0x%02X%02X%02X%02X,0x%llx,0x%llx)", (unsigned)part, sig[3],
                          sig[2], sig[1], sig[0], (unsigned long long)start,
                          (unsigned long long)size);
        }
        return;
    }
    if (t == 4 && s == 4) {
        json_t *f = utf16(v.ptr, v.len / 2);
        ay_buf_printf(b, "File(%s)", json_string_value(f));
        json_decref(f);
        return;
    }
    if (t == 4 && s == 3 && v.len >= 16) {
        char g[37];
        guid_text(v.ptr, true, false, g);
        ay_buf_printf(b, "VenMedia(%s,", g);
        ay_buf_hex(b, v.ptr + 16, v.len - 16);
        ay_buf_putc(b, ')');
        return;
    }
    ay_buf_printf(b, "Path(%u,%u,", t, s);
    ay_buf_hex(b, v.ptr, v.len);
    ay_buf_putc(b, ')');
}

static ay_err boot_app(struct ay_cur *c, json_t *det)
{
    /* UEFI_IMAGE_LOAD_EVENT: location, length, link-time address, device-path length. */
    uint64_t loc, len, link, dplen;
    struct ay_cur dp;
    TRY(ay_cur_u64le(c, &loc));
    TRY(ay_cur_u64le(c, &len));
    TRY(ay_cur_u64le(c, &link));
    TRY(ay_cur_u64le(c, &dplen));
    if (dplen == 0) {
        return AY_OK;
    }
    ENSURE(dplen <= ay_cur_left(c), AY_ERR_MALFORMED);
    TRY(ay_cur_sub(c, (size_t)dplen, &dp));
    json_t *paths = json_array();
    while (ay_cur_left(&dp) >= 4) {
        uint8_t t = rd8(&dp);
        uint8_t s = rd8(&dp);
        uint16_t nlen = rd16(&dp);
        struct ay_span v;
        if (t == 0x7f && s == 0xff) {
            break;
        }
        if (nlen < 4 || ay_cur_bytes(&dp, nlen - 4u, &v) != AY_OK) {
            break;
        }
        struct ay_buf b;
        ay_buf_init(&b, NULL, 1u << 16);
        device_path_node(t, s, v, &b);
        if (ay_buf_finish(&b) == AY_OK) {
            json_array_append_new(paths, jstr_n((const uint8_t *)b.ptr, b.len));
        }
        ay_buf_free(&b);
    }
    json_object_set_new(det, "device_paths", paths);
    return AY_OK;
}

static void event_tag(struct ay_span data, json_t *det)
{
    struct ay_cur c;
    uint32_t id, size;
    struct ay_span v;
    ay_cur_init(&c, data);
    if (ay_cur_u32le(&c, &id) != AY_OK || ay_cur_u32le(&c, &size) != AY_OK ||
        ay_cur_bytes(&c, size, &v) != AY_OK) {
        json_object_set_new(det, "string", jstr_n(data.ptr, nul_len(data.ptr, data.len)));
        return;
    }
    size_t n = nul_len(v.ptr, v.len);
    json_object_set_new(det, "string", jstr_n(v.ptr, n));
    if (id != 0x4141454cu) {
        return;
    }
    /* AAEL: "domain operation content" (content JSON when it parses). */
    size_t s1 = 0;
    while (s1 < n && v.ptr[s1] != ' ') {
        s1++;
    }
    size_t s2 = s1 + 1;
    while (s2 < n && v.ptr[s2] != ' ') {
        s2++;
    }
    if (s2 >= n) {
        return;
    }
    json_t *obj = json_object();
    json_object_set_new(obj, "domain", jstr_n(v.ptr, s1));
    json_object_set_new(obj, "operation", jstr_n(v.ptr + s1 + 1, s2 - s1 - 1));
    json_t *content = json_loadb((const char *)v.ptr + s2 + 1, n - s2 - 1, 0, NULL);
    json_object_set_new(obj, "content", content != NULL ? content
                                                        : jstr_n(v.ptr + s2 + 1, n - s2 - 1));
    json_object_set_new(det, "data", obj);
    json_object_set_new(det, "unicode_name", json_string("AAEL"));
}

static json_t *details(const struct ay_ccel_event *ev)
{
    json_t *det = json_object();
    struct ay_span d = ev->data;
    struct ay_cur c;
    ay_cur_init(&c, d);
    switch (ev->type) {
    case 0x1:
    case 0x5:
    case 0xc:
    case 0x12:
    case EV_EFI_BASE + 0x7:
        json_object_set_new(det, "string", jstr_n(d.ptr, d.len));
        break;
    case 0xa: {
        /* Trustee: invalid UTF-8 gives ""; else the runs between control characters, joined
         * by one space (golden CCEL_data: "td_payload_info\0\0\x10\0\0root=..."). */
        uint8_t *t = ay_xmalloc(d.len + 1);
        size_t k = 0;
        bool gap = false;
        if (ay_utf8_valid((const char *)d.ptr, d.len)) {
            for (size_t i = 0; i < d.len; i++) {
                if (d.ptr[i] < 0x20 || d.ptr[i] == 0x7f) {
                    gap = k > 0;
                    continue;
                }
                if (gap) {
                    t[k++] = ' ';
                    gap = false;
                }
                t[k++] = d.ptr[i];
            }
        }
        json_object_set_new(det, "string", jstr_n(t, k));
        ay_free(t);
        break;
    }
    case 0xd:
        if (d.len >= 2 && d.ptr[0] == 0x2e && d.ptr[1] == 0x00) {
            json_object_set_new(det, "string", utf16(d.ptr + 2, (d.len - 2) / 2));
        } else if (ay_utf8_valid((const char *)d.ptr, nul_len(d.ptr, d.len))) {
            json_object_set_new(det, "string", jstr_n(d.ptr, nul_len(d.ptr, d.len)));
        } else {
            char *h = ay_xmalloc(2 * d.len + 1);
            ay_hex_encode(d.ptr, d.len, h);
            json_object_set_new(det, "string", json_string(h));
            ay_free(h);
        }
        break;
    case EV_EFI_BASE + 0xa:
    case EV_EFI_BASE + 0xb: {
        uint8_t n;
        struct ay_span s;
        if (ay_cur_u8(&c, &n) == AY_OK && ay_cur_bytes(&c, n, &s) == AY_OK) {
            json_object_set_new(det, "string", jstr_n(s.ptr, nul_len(s.ptr, s.len)));
        }
        break;
    }
    case 0x6:
        event_tag(d, det);
        break;
    case EV_EFI_BASE + 0x1:
    case EV_EFI_BASE + 0x2:
    case EV_EFI_BASE + 0xc:
    case EV_EFI_BASE + 0xe0:
        (void)efi_variable(&c, det);
        break;
    case EV_EFI_BASE + 0x3:
        (void)boot_app(&c, det);
        break;
    default:
        break;
    }
    return det;
}

ay_err ay_ccel_claims(struct ay_diag *d, const struct ay_ccel_log *log, json_t **out)
{
    json_t *arr = json_array();
    ENSURE(arr != NULL, FAIL(d, AY_ERR_INTERNAL, "out of memory"));
    for (size_t i = 0; i < log->n_events; i++) {
        const struct ay_ccel_event *ev = &log->events[i];
        json_t *o = json_object();
        json_t *digests = json_array();
        bool matches = ev->n_digests > 0;
        for (size_t k = 0; k < ev->n_digests; k++) {
            const struct ay_ccel_digest *dg = &ev->digests[k];
            char hex[2 * AY_HASH_MAX + 1];
            enum ay_hash h;
            ay_hex_encode(dg->value.ptr, dg->value.len, hex);
            json_array_append_new(digests, json_pack("{s:s,s:s}", "alg", alg_name(dg->alg),
                                                     "digest", hex));
            uint8_t md[AY_HASH_MAX];
            if (!alg_hash(dg->alg, &h)) {
                /* Trustee aborts on SHA-1 digests; we only report "no match". */
                matches = false;
                continue;
            }
            if (ay_hash(h, ev->data.ptr, ev->data.len, md) != AY_OK ||
                memcmp(md, dg->value.ptr, dg->value.len) != 0) {
                matches = false;
            }
        }
        struct ay_buf b;
        ay_buf_init(&b, NULL, AY_CCEL_MAX_EVENT_DATA * 2);
        ay_b64_encode(AY_B64_STD, ev->data.ptr, ev->data.len, &b);
        if (ay_buf_finish(&b) != AY_OK) {
            ay_buf_free(&b);
            json_decref(o);
            json_decref(digests);
            json_decref(arr);
            return FAIL(d, AY_ERR_LIMIT, "event log: event too large");
        }
        json_object_set_new(o, "details", details(ev));
        json_object_set_new(o, "digest_matches_event", json_boolean(matches));
        json_object_set_new(o, "digests", digests);
        json_object_set_new(o, "event", json_stringn(b.len > 0 ? b.ptr : "", b.len));
        json_object_set_new(o, "index", json_integer(ev->index));
        json_object_set_new(o, "type_name", json_string(ev_name(ev->type)));
        ay_buf_free(&b);
        json_array_append_new(arr, o);
    }
    *out = arr;
    return AY_OK;
}
