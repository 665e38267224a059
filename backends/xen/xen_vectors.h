/*
 * The trap_dispatch() vector pvos gives Xen's event upcall.  Xen has no
 * vectors for events; any number the native IDT does not use will do, and
 * it lets the upcall share the exception path (xen_entry.S).
 */
#ifndef PVOS_XEN_VECTORS_H
#define PVOS_XEN_VECTORS_H

#define XEN_UPCALL_VECTOR	0xf3

#endif
