/* The Xen console (backends/xen/console.c): console_io as dom0, the ring as a domU. */
#ifndef PVOS_XEN_CONSOLE_H
#define PVOS_XEN_CONSOLE_H

#include "kernel/types.h"

void xen_console_init(void);
void xen_console_events_init(void);		/* bind its port, once events work */
bool xen_console_drain(void);			/* false: xenconsoled did not take it all */
extern const char *xen_console_kind;		/* "console_io" or "ring" */
extern unsigned int xen_console_port;		/* its event channel */
extern volatile unsigned long xen_console_events;	/* events seen on it */

/* The console's own hypercalls cannot panic on failure: they are counted. */
struct xen_console_errors {
	unsigned long count;		/* console hypercalls that failed */
	long first_rc;			/* the first one's error code ... */
	const char *first_call;		/* ... and what it was */
};
extern struct xen_console_errors xen_console_errors;
void xen_console_io_write(const char *s, size_t n);	/* the self-tests provoke a failure */

#endif
