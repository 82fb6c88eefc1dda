/* SPDX-License-Identifier: Apache-2.0 */
/* libassay public umbrella header. The library's internal API lives under src/ (headers named
 * src/<sub>/<sub>_<thing>.h); programs in this repository include those directly. */
#ifndef ASSAY_ASSAY_H
#define ASSAY_ASSAY_H

#define ASSAY_NAME "assay"

#endif
