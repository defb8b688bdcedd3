/*
 * stats.c - the `pfs` stats_tree: tshark -z pfs,tree, Statistics > PFS.
 *
 * Messages by type (and malformed ones by fault), each hierarchy (model and
 * file) with the roots that confirmed themselves for it, each transfer's
 * file with the bytes its DATA carried, and vendor payload by role and
 * host. Nodes are found by name in the packet callback, so the tree keeps
 * no state of its own outside the stats_tree.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "pfs_dissector.h"

#include <epan/stats_tree.h>
#include <epan/tap.h>

#define N_MESSAGES  "Messages by type"
#define N_MALFORMED "Malformed messages"
#define N_HIERS     "Hierarchies (model file)"
#define N_XFERS     "Transfers (file)"
#define N_BYTES     "Transfer bytes (file)"
#define N_VENDOR    "Vendor payload (role)"

static const char *const top_nodes[] = {N_MESSAGES, N_MALFORMED, N_HIERS, N_XFERS, N_BYTES,
                                        N_VENDOR};

static void pfs_stats_init(stats_tree *st)
{
    for (size_t i = 0; i < G_N_ELEMENTS(top_nodes); i++)
        stats_tree_create_node(st, top_nodes[i], 0, STAT_DT_INT, TRUE);
}

static int node(stats_tree *st, const char *name)
{
    return stats_tree_parent_id_by_name(st, name);
}

static void count_hier(stats_tree *st, const struct pfs_tap_rec *r)
{
    if (!r->model)
        return;
    char *name = g_strdup_printf("%s %s", r->model, r->file);
    tick_stat_node(st, N_HIERS, 0, TRUE);
    int h = tick_stat_node(st, name, node(st, N_HIERS), TRUE);
    g_free(name);
    if (r->type == PFS_T_CLAIM && r->state == PFS_HS_CONF) {
        char root[32];
        g_snprintf(root, sizeof root, "root XID%08X", r->xid);
        tick_stat_node(st, root, h, FALSE);
    }
}

static void count_message(stats_tree *st, const struct pfs_tap_rec *r)
{
    if (r->rc != PFS_OK) {
        tick_stat_node(st, N_MALFORMED, 0, TRUE);
        tick_stat_node(st, pfs_strerror(r->rc), node(st, N_MALFORMED), FALSE);
        return;
    }
    tick_stat_node(st, N_MESSAGES, 0, TRUE);
    tick_stat_node(st, pfs_fields_type_name(r->type), node(st, N_MESSAGES), FALSE);
    count_hier(st, r);
    if (r->type == PFS_T_XFRCMD && r->file) {
        tick_stat_node(st, N_XFERS, 0, TRUE);
        tick_stat_node(st, r->file, node(st, N_XFERS), FALSE);
    }
    if (r->type == PFS_T_DATA) {
        increase_stat_node(st, N_BYTES, 0, TRUE, (gint)r->data_len);
        increase_stat_node(st, r->file ? r->file : "(file not seen)", node(st, N_BYTES), FALSE,
                           (gint)r->data_len);
    }
}

static void count_vendor(stats_tree *st, const struct pfs_tap_rec *r)
{
    tick_stat_node(st, N_VENDOR, 0, TRUE);
    int role = tick_stat_node(st, pfs_vendor_role_name(r->role), node(st, N_VENDOR), TRUE);
    tick_stat_node(st, r->host, role, FALSE);
}

static tap_packet_status pfs_stats_packet(stats_tree *st, packet_info *pinfo _U_,
                                          epan_dissect_t *edt _U_, const void *data,
                                          tap_flags_t flags _U_)
{
    const struct pfs_tap_rec *r = data;
    if (r->vendor)
        count_vendor(st, r);
    else
        count_message(st, r);
    return TAP_PACKET_REDRAW;
}

void pfs_stats_register(void)
{
    stats_tree_register_plugin("pfs", "pfs", "PFS", 0, pfs_stats_packet, pfs_stats_init, NULL);
}
