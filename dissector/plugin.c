/*
 * plugin.c - the entry points Wireshark 4.0 looks up in an epan plugin.
 *
 * 4.0 has no wsutil/plugins.h: the loader dlsym()s these three symbols and
 * plugin_register(), which hands our two registration routines to epan.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <epan/proto.h>
#include <ws_symbol_export.h>

#include "pfs_dissector.h"

WS_DLL_PUBLIC_DEF const char plugin_version[] = PFS_PLUGIN_VERSION;
WS_DLL_PUBLIC_DEF const int plugin_want_major = PFS_WS_MAJOR;
WS_DLL_PUBLIC_DEF const int plugin_want_minor = PFS_WS_MINOR;

WS_DLL_PUBLIC void plugin_register(void);

void plugin_register(void)
{
    static const proto_plugin plug = {
        .register_protoinfo = proto_register_pfs,
        .register_handoff = proto_reg_handoff_pfs,
    };
    proto_register_plugin(&plug);
}
