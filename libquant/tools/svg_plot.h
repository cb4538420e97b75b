/* svg_plot.h — a labelled scatter plot written as a standalone SVG file by
 * the tool itself (no plotting dependency): points in a few colour-coded
 * series, an optional horizontal reference line, axes that turn
 * logarithmic when the data span a wide range, labels placed clear of the
 * points and of each other (with a leader line when pushed away). */
#ifndef LQ_TOOLS_SVG_PLOT_H
#define LQ_TOOLS_SVG_PLOT_H

#include <stdbool.h>

#define SVG_PLOT_MAX_SERIES 4

typedef struct svg_point {
    double x, y;
    const char *label; /* drawn next to the point; may be NULL */
    int series;        /* 0 .. SVG_PLOT_MAX_SERIES-1: colour and legend entry */
} svg_point;

typedef struct svg_plot {
    const char *title, *x_label, *y_label;
    const char *series[SVG_PLOT_MAX_SERIES]; /* legend names; NULL for unused series */
    double reference;                        /* y of a dashed horizontal line; NAN for none */
    const char *reference_label;
    double y_cap;     /* points above it sit on the top edge as triangles, their y in the
                         label, so that a few far-off points do not flatten the rest; NAN: none */
} svg_plot;

/* Write the plot of n points (non-finite or non-positive coordinates are
 * left out) to `path`. Returns false, with errno set, when the file cannot
 * be written. */
bool svg_plot_write(const char *path, const svg_plot *p, const svg_point *points, int n);

#endif
