// libpq-fe.h lives in /usr/include/postgresql on Debian; pkg-config supplies that path.
#include <libpq-fe.h>
