#ifndef NIANJIAN_CLIBPQ_SHIM_H
#define NIANJIAN_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
