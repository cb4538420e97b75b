/* svg_plot.c — a labelled scatter plot as SVG text (see svg_plot.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svg_plot.h"

#define WIDTH 1000
#define HEIGHT 640
#define LEFT 72
#define RIGHT 24
#define TOP 48
#define BOTTOM 58
#define FONT 11
#define CHAR_W 6.2 /* average advance of a FONT-pixel sans-serif character */

static const char *const colours[SVG_PLOT_MAX_SERIES] = {"#1f77b4", "#d62728", "#2ca02c",
                                                         "#9467bd"};

typedef struct {
    double lo, hi;
    bool log;
    double from, to; /* pixels */
} axis;

static bool usable(const svg_point *p)
{
    return isfinite(p->x) && isfinite(p->y) && p->x > 0 && p->y > 0;
}

/* The range of the values, padded, on a log scale when it spans more than a factor of 4. */
static void fit_axis(axis *a, double lo, double hi, double from, double to)
{
    a->log = lo > 0 && hi / lo > 4;
    if (a->log) {
        double pad = pow(hi / lo, 0.05);
        a->lo = lo / pad;
        a->hi = hi * pad;
    } else {
        double pad = hi > lo ? 0.06 * (hi - lo) : 0.05 * fabs(hi) + 1e-9;
        a->lo = lo - pad;
        a->hi = hi + pad;
    }
    a->from = from;
    a->to = to;
}

static double place(const axis *a, double v)
{
    double t = a->log ? log(v / a->lo) / log(a->hi / a->lo) : (v - a->lo) / (a->hi - a->lo);
    return a->from + t * (a->to - a->from);
}

/* Tick values inside the axis: 1-2-5 steps (linear), or 1-2-5 then finer
 * mantissas per decade (log) until there are at least four. Returns the count. */
static int ticks(const axis *a, double *out, int cap)
{
    int n = 0;
    if (!a->log) {
        double raw = (a->hi - a->lo) / 6, mag = pow(10, floor(log10(raw)));
        double step = raw > 5 * mag ? 10 * mag : raw > 2 * mag ? 5 * mag : raw > mag ? 2 * mag : mag;
        for (double v = ceil(a->lo / step) * step; v <= a->hi && n < cap; v += step)
            out[n++] = fabs(v) < step * 1e-9 ? 0 : v;
        return n;
    }
    static const double coarse[] = {1, 2, 5}, fine[] = {1, 1.5, 2, 3, 4, 5, 6, 8};
    for (int pass = 0; pass < 2 && n < 4; pass++) {
        const double *m = pass ? fine : coarse;
        int nm = pass ? 8 : 3;
        n = 0;
        for (double dec = pow(10, floor(log10(a->lo))); dec <= a->hi; dec *= 10)
            for (int i = 0; i < nm && n < cap; i++)
                if (m[i] * dec >= a->lo && m[i] * dec <= a->hi)
                    out[n++] = m[i] * dec;
    }
    return n;
}

static void put_text(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

static void draw_axes(FILE *f, const svg_plot *p, const axis *x, const axis *y)
{
    double v[64];
    int n = ticks(x, v, 64);
    for (int i = 0; i < n; i++) {
        double px = place(x, v[i]);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"grid\"/>\n", px, TOP,
                px, HEIGHT - BOTTOM);
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g</text>\n", px,
                HEIGHT - BOTTOM + 16, v[i]);
    }
    n = ticks(y, v, 64);
    for (int i = 0; i < n; i++) {
        double py = place(y, v[i]);
        fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" class=\"grid\"/>\n", LEFT, py,
                WIDTH - RIGHT, py);
        fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n", LEFT - 6, py + 4,
                v[i]);
    }
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" class=\"frame\"/>\n", LEFT, TOP,
            WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" class=\"title\">", WIDTH / 2, 26);
    put_text(f, p->title);
    fprintf(f, "</text>\n<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", (LEFT + WIDTH - RIGHT) / 2,
            HEIGHT - 16);
    put_text(f, p->x_label);
    fprintf(f, "%s</text>\n", x->log ? " (log scale)" : "");
    fprintf(f, "<text transform=\"translate(18 %d) rotate(-90)\" text-anchor=\"middle\">",
            (TOP + HEIGHT - BOTTOM) / 2);
    put_text(f, p->y_label);
    fprintf(f, "%s</text>\n", y->log ? " (log scale)" : "");
}

typedef struct {
    double x0, y0, x1, y1;
} box;

static bool overlaps(const box *a, const box *b)
{
    return a->x0 < b->x1 && b->x0 < a->x1 && a->y0 < b->y1 && b->y0 < a->y1;
}

/* A spot for a label of width w near (px, py) that no earlier label or
 * point covers and that stays in the plot area: right of the point, left,
 * or centred, on the point's line or further and further up or down; the
 * first candidate when all are taken. *far is set when the spot is away from
 * the point (it then gets a leader line). */
static box label_spot(double px, double py, double w, const box *taken, int n_taken, bool *far)
{
    const double dx[] = {6, -6 - w, -w / 2};
    for (int r = 0; r < 15; r++) {
        /* 4, -7, 15, -18, 26, ...: alternately below and above, 11 px apart */
        double dy = r % 2 ? -7 - 11 * (r / 2) : 4 + 11 * (r / 2);
        for (size_t c = 0; c < sizeof dx / sizeof *dx; c++) {
            if (c == 2 && r < 2)
                continue; /* centred on the point itself */
            box b = {px + dx[c], py + dy - FONT + 2, px + dx[c] + w, py + dy + 2};
            bool clear = b.x0 > LEFT && b.x1 < WIDTH - RIGHT && b.y0 > TOP && b.y1 < HEIGHT - BOTTOM;
            for (int i = 0; clear && i < n_taken; i++)
                clear = !overlaps(&b, &taken[i]);
            if (clear) {
                *far = r >= 4;
                return b;
            }
        }
    }
    *far = false;
    return (box){px + dx[0], py + 4 - FONT + 2, px + dx[0] + w, py + 6};
}

/* Where a point is drawn: on the top edge when above the cap (then true). */
static bool point_xy(const svg_plot *p, const svg_point *pt, const axis *x, const axis *y,
                     double *px, double *py)
{
    bool capped = isfinite(p->y_cap) && pt->y > p->y_cap;
    *px = place(x, pt->x);
    *py = capped ? TOP + 6 : place(y, pt->y);
    return capped;
}

/* Points, then their labels, each placed clear of every point, earlier
 * label and the n_reserved boxes already covered (legend, reference label). */
static void draw_points(FILE *f, const svg_plot *p, const svg_point *pts, int n, const axis *x,
                        const axis *y, const box *reserved, int n_reserved)
{
    box *taken = calloc(2 * (size_t)n + (size_t)n_reserved, sizeof *taken);
    int n_taken = 0;
    for (int i = 0; taken && i < n_reserved; i++)
        taken[n_taken++] = reserved[i];
    for (int i = 0; i < n; i++) {
        double px, py;
        if (!usable(&pts[i]))
            continue;
        const char *colour = colours[pts[i].series % SVG_PLOT_MAX_SERIES];
        if (point_xy(p, &pts[i], x, y, &px, &py))
            fprintf(f, "<path d=\"M%.1f %.1f l5 8 h-10 z\" fill=\"%s\"/>\n", px, py - 5, colour);
        else
            fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>\n", px, py, colour);
        if (taken)
            taken[n_taken++] = (box){px - 4, py - 4, px + 4, py + 4};
    }
    for (int i = 0; taken && i < n; i++) {
        double px, py;
        if (!usable(&pts[i]) || !pts[i].label)
            continue;
        char text[160];
        if (point_xy(p, &pts[i], x, y, &px, &py))
            snprintf(text, sizeof text, "%s (%.4g)", pts[i].label, pts[i].y);
        else
            snprintf(text, sizeof text, "%s", pts[i].label);
        bool far;
        box b = label_spot(px, py, CHAR_W * (double)strlen(text), taken, n_taken, &far);
        taken[n_taken++] = b;
        if (far) /* from the point to the nearer end of the label */
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"lead\"/>\n",
                    px, py, b.x0 > px ? b.x0 : b.x1 < px ? b.x1 : px, (b.y0 + b.y1) / 2);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">", b.x0, b.y1 - 2);
        put_text(f, text);
        fprintf(f, "</text>\n");
    }
    free(taken);
}

/* The legend in the top right corner, sized to its longest entry; returns
 * the box it covers. */
static box draw_legend(FILE *f, const svg_plot *p)
{
    size_t longest = 0;
    for (int s = 0; s < SVG_PLOT_MAX_SERIES; s++)
        if (p->series[s] && strlen(p->series[s]) > longest)
            longest = strlen(p->series[s]);
    double x = WIDTH - RIGHT - 20 - CHAR_W * (double)longest;
    int row = 0;
    for (int s = 0; s < SVG_PLOT_MAX_SERIES; s++) {
        if (!p->series[s])
            continue;
        double y = TOP + 16 + 16 * row++;
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>\n", x, y - 4, colours[s]);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">", x + 10, y);
        put_text(f, p->series[s]);
        fprintf(f, "</text>\n");
    }
    return (box){x - 8, TOP, WIDTH - RIGHT, TOP + 8 + 16 * row};
}

bool svg_plot_write(const char *path, const svg_plot *p, const svg_point *pts, int n)
{
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (int i = 0; i < n; i++) {
        if (usable(&pts[i])) {
            x0 = fmin(x0, pts[i].x), x1 = fmax(x1, pts[i].x);
            y0 = fmin(y0, pts[i].y), y1 = fmax(y1, pts[i].y);
        }
    }
    bool reference = isfinite(p->reference) && p->reference > 0;
    if (reference)
        y0 = fmin(y0, p->reference), y1 = fmax(y1, p->reference);
    if (isfinite(p->y_cap))
        y1 = fmin(y1, p->y_cap);
    if (!(x0 <= x1))
        x0 = x1 = y0 = y1 = 1; /* nothing to draw: an empty frame */
    axis x, y;
    fit_axis(&x, x0, x1, LEFT, WIDTH - RIGHT);
    fit_axis(&y, y0, y1, HEIGHT - BOTTOM, TOP);

    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"%d\">\n", WIDTH, HEIGHT,
            WIDTH, HEIGHT, FONT);
    fprintf(f, "<style>.grid{stroke:#e4e4e4} .frame{fill:none;stroke:#444} "
            ".title{font-size:15px;font-weight:bold} .ref{stroke:#777;stroke-dasharray:6 4} "
            ".lead{stroke:#aaa;stroke-width:0.7}"
            "</style>\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
    draw_axes(f, p, &x, &y);
    box covered[2];
    int n_covered = 0;
    covered[n_covered++] = draw_legend(f, p);
    if (reference) { /* labelled at the left end, where few points are (few bits, high y) */
        double py = place(&y, p->reference);
        fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" class=\"ref\"/>\n", LEFT, py,
                WIDTH - RIGHT, py);
        fprintf(f, "<text x=\"%d\" y=\"%.1f\" fill=\"#555\">", LEFT + 6, py - 4);
        put_text(f, p->reference_label);
        fprintf(f, "</text>\n");
        double w = p->reference_label ? CHAR_W * (double)strlen(p->reference_label) : 0;
        covered[n_covered++] = (box){LEFT + 6, py - 4 - FONT, LEFT + 6 + w, py + 2};
    }
    draw_points(f, p, pts, n, &x, &y, covered, n_covered);
    fprintf(f, "</svg>\n");
    bool ok = !ferror(f);
    return fclose(f) == 0 && ok;
}
