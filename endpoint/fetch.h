/*
 * fetch.h - a hierarchy's file over TFTP into a store (fetch.c). Driven
 * by node.c; sees only site.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PFSD_FETCH_H
#define PFSD_FETCH_H

#include "site.h"

int fetch_start(struct node *n, struct hnode *hn);   /* 0, or -1: failed at once */
void fetch_cancel(struct hnode *hn);

#endif
