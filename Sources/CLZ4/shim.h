// The frame API: content size and checksums travel with the data, so corruption is detected.
#include <lz4frame.h>
