/*
 * fields.c - the dissector's fields, made from libpfs's message table.
 *
 * Registration walks every row of pfs_table.h (header, each message's
 * body, the hint entry, the TLVs) and registers one hf per filter key, with
 * the row's name, kind and value table. Dissection runs libpfs's own
 * walking decoder, pfs_walk(), which reports each field as it reads it: the
 * tree is built from those reports, so this file knows no offset, size or
 * order of any message. A new row in proto/ is a new field here for free.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "pfs_dissector.h"

#include <string.h>

#include "pfs_table.h"

/* Row -> hf index; keys shared by several rows (pfs.addr) share one hf. */
static GHashTable *hf_by_row;
static GHashTable *hf_by_key;
static int hf_flag_bits[8];
static int *flag_bit_ptrs[G_N_ELEMENTS(hf_flag_bits) + 1];

static gint ett_msg = -1;
static gint ett_header = -1;
static gint ett_body = -1;
static gint ett_flags = -1;
static gint ett_hints = -1;
static gint ett_hint = -1;
static gint ett_tlvs = -1;
static gint ett_tlv = -1;

/* "XID080027F8", as the phones print it. */
static void fmt_xid(gchar *buf, guint32 v)
{
    g_snprintf(buf, ITEM_LABEL_LENGTH, "XID%08X", v);
}

static void fmt_hex32(gchar *buf, guint32 v)
{
    g_snprintf(buf, ITEM_LABEL_LENGTH, "%08x", v);
}

/* The Wireshark type of one row; *display gets its base. */
static enum ftenum ft_of(const struct pfs_field *f, int *display, const void **strings)
{
    *display = BASE_NONE;
    *strings = NULL;
    switch (f->kind) {
    case PFS_K_U8: *display = BASE_DEC; return FT_UINT8;
    case PFS_K_U16: *display = BASE_DEC; return FT_UINT16;
    case PFS_K_U32: *display = BASE_DEC; return FT_UINT32;
    case PFS_K_PORT: *display = BASE_PT_TCP; return FT_UINT16;
    case PFS_K_XID: *display = BASE_CUSTOM; *strings = CF_FUNC(fmt_xid); return FT_UINT32;
    case PFS_K_HEX32: *display = BASE_CUSTOM; *strings = CF_FUNC(fmt_hex32); return FT_UINT32;
    case PFS_K_HEX16: *display = BASE_HEX; return FT_UINT16;
    case PFS_K_IPV4: return FT_IPv4;
    case PFS_K_ENUM:
        *display = BASE_DEC;
        /* struct pfs_val has value_string's layout by design (pfs_table.h). */
        *strings = f->vals;
        return f->size == 2 ? FT_UINT16 : FT_UINT8;
    case PFS_K_FLAGS: *display = BASE_HEX; return FT_UINT16;
    case PFS_K_STR: return FT_UINT_STRING;
    case PFS_K_TEXT: return FT_STRING;
    case PFS_K_SHA256:
    case PFS_K_PAYLOAD:
    case PFS_K_RESERVED: return FT_BYTES;
    case PFS_K_HINTS:
    case PFS_K_TLV: return FT_NONE;
    }
    return FT_NONE;
}

/* Every row, once: header, bodies, hint entry, TLV parts and values. */
static void each_row(void (*fn)(const struct pfs_field *f, void *ctx), void *ctx)
{
    size_t n;
    const struct pfs_field *h = pfs_header_fields(&n);
    for (size_t i = 0; i < n; i++)
        fn(&h[i], ctx);
    const struct pfs_msgdef *d = pfs_msgdefs(&n);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < d[i].nfields; j++) {
            fn(&d[i].fields[j], ctx);
            for (size_t k = 0; k < d[i].fields[j].nsub; k++)
                fn(&d[i].fields[j].sub[k], ctx);
        }
    }
    const struct pfs_field *t = pfs_tlv_fields(&n);
    for (size_t i = 0; i < n; i++)
        fn(&t[i], ctx);
    const struct pfs_tlvdef *tv = pfs_tlvdefs(&n);
    for (size_t i = 0; i < n; i++)
        fn(tv[i].value, ctx);
}

/* Collects one hf_register_info per new key; rows with a known key reuse it. */
static void add_row(const struct pfs_field *f, void *ctx)
{
    GArray *hfs = ctx;
    int *id = g_hash_table_lookup(hf_by_key, f->key);
    if (!id) {
        id = g_new(int, 1);
        *id = -1;
        g_hash_table_insert(hf_by_key, (gpointer)f->key, id);
        hf_register_info r = {id, {f->name, f->key, FT_NONE, BASE_NONE, NULL, 0, f->blurb, HFILL}};
        const void *strings;
        int display;
        r.hfinfo.type = ft_of(f, &display, &strings);
        r.hfinfo.display = display;
        r.hfinfo.strings = strings;
        g_array_append_val(hfs, r);
    }
    g_hash_table_insert(hf_by_row, (gpointer)f, id);
}

/* The flag bits of the header's FLAGS row: pfs.flags.full, ... */
static void add_flag_bits(GArray *hfs)
{
    size_t n;
    const struct pfs_field *h = pfs_header_fields(&n);
    const struct pfs_field *flags = NULL;
    for (size_t i = 0; i < n; i++)
        if (h[i].kind == PFS_K_FLAGS)
            flags = &h[i];
    if (!flags)
        return;
    size_t b = 0;
    for (const struct pfs_val *v = flags->vals; v->name && b < G_N_ELEMENTS(hf_flag_bits); v++, b++) {
        hf_flag_bits[b] = -1;
        flag_bit_ptrs[b] = &hf_flag_bits[b];
        char *key = g_ascii_strdown(wmem_strdup_printf(wmem_epan_scope(), "%s.%s", flags->key,
                                                       v->name), -1);
        hf_register_info r = {&hf_flag_bits[b], {v->name, key, FT_BOOLEAN, 16, TFS(&tfs_set_notset),
                                                 v->value, NULL, HFILL}};
        g_array_append_val(hfs, r);
    }
    flag_bit_ptrs[b] = NULL;
}

void pfs_fields_register(int proto)
{
    hf_by_row = g_hash_table_new(g_direct_hash, g_direct_equal);
    hf_by_key = g_hash_table_new(g_str_hash, g_str_equal);
    GArray *hfs = g_array_new(FALSE, TRUE, sizeof(hf_register_info));
    each_row(add_row, hfs);
    add_flag_bits(hfs);
    /* Wireshark keeps pointers into this array for the whole run. */
    guint n = hfs->len;
    proto_register_field_array(proto, (hf_register_info *)(void *)g_array_free(hfs, FALSE), (int)n);

    static gint *ett[] = {&ett_msg, &ett_header, &ett_body, &ett_flags,
                          &ett_hints, &ett_hint, &ett_tlvs, &ett_tlv};
    proto_register_subtree_array(ett, array_length(ett));
}

const char *pfs_fields_type_name(unsigned type)
{
    const char *name = pfs_val_name(pfs_type_vals, type);
    return name ? name : "unknown type";
}

/* ---- the tree, from pfs_walk's reports ---- */

struct builder {
    tvbuff_t *tvb;
    proto_tree *msg;      /* the message's own subtree */
    proto_tree *header, *body, *hints, *hint, *tlvs, *tlv;
    unsigned hint_index, tlv_index;
    proto_item *last;     /* the last item added: where a fault is shown */
};

static proto_tree *section_tree(struct builder *b, const struct pfs_item *it)
{
    switch (it->section) {
    case PFS_SEC_HEADER:
        if (!b->header)
            b->header = proto_tree_add_subtree(b->msg, b->tvb, 0, PFS_HDR_LEN, ett_header, NULL,
                                               "Header");
        return b->header;
    case PFS_SEC_BODY:
        if (!b->body)
            b->body = proto_tree_add_subtree(b->msg, b->tvb, PFS_HDR_LEN, -1, ett_body, NULL,
                                             "Body");
        return b->body;
    case PFS_SEC_HINT:
        if (!b->hint || b->hint_index != it->index) {
            b->hint_index = it->index;
            b->hint = proto_tree_add_subtree_format(b->hints ? b->hints : b->body, b->tvb,
                                                    (gint)it->off, 0, ett_hint, NULL, "Hint %u",
                                                    it->index + 1);
        }
        return b->hint;
    case PFS_SEC_TLV:
        if (!b->tlvs)
            b->tlvs = proto_tree_add_subtree(b->msg, b->tvb, (gint)it->off, -1, ett_tlvs, NULL,
                                             "Extension TLVs");
        return it->field->kind == PFS_K_TLV || !b->tlv ? b->tlvs : b->tlv;
    }
    return b->msg;
}

static proto_item *add_value(proto_tree *t, int hf, tvbuff_t *tvb, const struct pfs_item *it)
{
    gint off = (gint)it->off, len = (gint)it->len;
    switch (it->field->kind) {
    case PFS_K_STR: return proto_tree_add_item(t, hf, tvb, off, 1, ENC_ASCII | ENC_BIG_ENDIAN);
    case PFS_K_TEXT: return proto_tree_add_item(t, hf, tvb, off, len, ENC_ASCII);
    case PFS_K_FLAGS:
        return proto_tree_add_bitmask(t, tvb, off, hf, ett_flags, flag_bit_ptrs, ENC_BIG_ENDIAN);
    case PFS_K_HINTS:
    case PFS_K_TLV: return proto_tree_add_item(t, hf, tvb, off, len, ENC_NA);
    default: return proto_tree_add_item(t, hf, tvb, off, len, ENC_BIG_ENDIAN);
    }
}

static void on_item(void *ctx, const struct pfs_item *it)
{
    struct builder *b = ctx;
    int *hf = g_hash_table_lookup(hf_by_row, it->field);
    if (!hf)
        return;
    proto_tree *t = section_tree(b, it);
    proto_item *pi = add_value(t, *hf, b->tvb, it);
    b->last = pi;
    if (it->field->kind == PFS_K_HINTS) {
        b->hints = proto_item_add_subtree(pi, ett_hints);
        proto_item_append_text(pi, ": %u", it->value);
        b->hint = NULL;
    } else if (it->field->kind == PFS_K_TLV) {
        b->tlv = proto_item_add_subtree(pi, ett_tlv);
        const char *name = pfs_val_name(pfs_tlv_vals, it->value);
        proto_item_append_text(pi, ": %s", name ? name : "unknown (skipped)");
        b->tlv_index = it->index;
    }
}

static void name_top(proto_item *top, const struct pfs_msg *m, int rc, tvbuff_t *tvb)
{
    if (rc == PFS_OK) {
        const struct pfs_msgdef *d = pfs_msgdef_of(m->type);
        proto_item_append_text(top, ", %s", pfs_fields_type_name(m->type));
        if (d && d->title)
            proto_item_append_text(top, " (%s)", d->title);
        proto_item_append_text(top, ", XID%08X", m->xid);
        return;
    }
    proto_item_append_text(top, ", malformed");
    if (tvb_captured_length(tvb) >= 4)
        proto_item_append_text(top, " %s", pfs_fields_type_name(tvb_get_guint8(tvb, 3)));
    proto_item_append_text(top, ": %s", pfs_strerror(rc));
}

int pfs_fields_dissect(tvbuff_t *tvb, proto_tree *tree, gboolean tcp, struct pfs_msg *m,
                       proto_item **top, proto_item **at)
{
    struct builder b;
    memset(&b, 0, sizeof b);
    b.tvb = tvb;
    *top = proto_tree_add_item(tree, proto_pfs, tvb, 0, -1, ENC_NA);
    b.msg = proto_item_add_subtree(*top, ett_msg);
    guint len = tvb_captured_length(tvb);
    struct pfs_fault fault;
    /* A datagram is one whole message with its own size limit; on TCP the
     * framing already cut exactly one message. Without a tree nobody looks
     * at the fields: decode only. */
    unsigned flags = tcp ? 0 : PFS_WALK_UDP;
    int rc = pfs_walk(tvb_get_ptr(tvb, 0, len), len, flags, m, tree ? on_item : NULL, &b, &fault);
    name_top(*top, m, rc, tvb);
    *at = b.last && rc != PFS_OK && fault.field ? b.last : *top;
    return rc;
}
