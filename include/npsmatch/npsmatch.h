/*
 * npsmatch: spectral signature matching for forensic drug laboratories.
 *
 * This is the one public header of libnpsmatch. Everything under src/ is
 * private. Conventions (after libgit2 and GSL):
 *
 *  - Fallible functions return int: 0 on success, a negative NPS_E* code on
 *    failure. nps_strerror() names a code; nps_error_last() returns a one-line,
 *    thread-local message that names file, line and reason for input errors.
 *  - Opaque handles come in create/free or open/close pairs; every destructor
 *    accepts NULL.
 *  - Out-parameters come first; what comes back through `**out` belongs to the
 *    caller and is released with the matching free function.
 *  - Option structs are versioned: declare them with the *_INIT initialiser,
 *    then change the fields you need.
 *  - Peaks are flat arrays: m/z as double, intensity as float.
 *  - A loaded library is read-only and may be shared by any number of threads.
 */
#ifndef NPSMATCH_H
#define NPSMATCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NPS_VERSION_MAJOR 0
#define NPS_VERSION_MINOR 1
#define NPS_VERSION_PATCH 0
#define NPS_VERSION_STRING "0.1.0"

/* ------------------------------------------------------------------------- */
/* Errors                                                                    */
/* ------------------------------------------------------------------------- */

enum {
    NPS_OK = 0,
    NPS_ENOMEM = -1,       /* out of memory */
    NPS_EIO = -2,          /* a file could not be opened, read or written */
    NPS_EFORMAT = -3,      /* malformed input (file:line: reason in the message) */
    NPS_EINVAL = -4,       /* an invalid argument or option value */
    NPS_ENOTFOUND = -5,    /* a named record or key does not exist */
    NPS_ELIBRARY = -6,     /* an HDF5 library file is unreadable or inconsistent */
    NPS_EUNSUPPORTED = -7, /* a format or feature this build does not handle */
    NPS_ERANGE = -8        /* a value outside the range where it is defined (an RI
                              outside the alkane ladder) */
};

/* A static, human-readable name for an error code. */
const char *nps_strerror(int code);
/* The message of the last error raised on this thread ("" if none). */
const char *nps_error_last(void);
/* Forget the last error of this thread. */
void nps_error_clear(void);

/* ------------------------------------------------------------------------- */
/* Spectrum collections                                                      */
/* ------------------------------------------------------------------------- */

/*
 * A collection of spectra stored flat: all m/z values in one double array, all
 * intensities in one float array, and per spectrum an offset range plus its
 * metadata (an ordered list of key/value strings; unknown keys are kept).
 * Known keys are stored under their canonical names, listed below; the
 * readers map the common variants of every format onto them.
 */
typedef struct nps_spectra nps_spectra;

/* Canonical metadata keys. */
#define NPS_KEY_NAME "Name"
#define NPS_KEY_SYNONYM "Synon"
#define NPS_KEY_FORMULA "Formula"
#define NPS_KEY_MW "MW"
#define NPS_KEY_EXACT_MASS "ExactMass"
#define NPS_KEY_CAS "CAS#"
#define NPS_KEY_INCHIKEY "InChIKey"
#define NPS_KEY_SMILES "SMILES"
#define NPS_KEY_PRECURSOR_MZ "PrecursorMZ"
#define NPS_KEY_PRECURSOR_TYPE "Precursor_type"
#define NPS_KEY_CHARGE "Charge"
#define NPS_KEY_ION_MODE "Ion_mode"
#define NPS_KEY_IONIZATION "Ionization"
#define NPS_KEY_INSTRUMENT_TYPE "Instrument_type"
#define NPS_KEY_COLLISION_ENERGY "Collision_energy"
#define NPS_KEY_SPECTRUM_TYPE "Spectrum_type"
#define NPS_KEY_RETENTION_TIME "Retention_time"
#define NPS_KEY_RETENTION_INDEX "Retention_index"
#define NPS_KEY_CLASS "Class"
#define NPS_KEY_ID "DB#"
#define NPS_KEY_DUPLICATE_OF "Duplicate_Of" /* set by nps_library_create on a renamed repeat */
#define NPS_KEY_TITLE "TITLE"
#define NPS_KEY_SPECTRUM_ID "SPECTRUM_ID"
#define NPS_KEY_SOURCE "Source"
#define NPS_KEY_LICENSE "License"
#define NPS_KEY_COMMENTS "Comments"

/* What kind of measurement a spectrum is; decides the default preprocessing,
 * search mode and score. */
typedef enum {
    NPS_KIND_EI = 0,   /* GC-EI-MS, unit resolution, no precursor */
    NPS_KIND_MSMS = 1, /* LC-MS/MS or other high-resolution spectra */
    NPS_KIND_COUNT
} nps_kind;

int nps_spectra_create(nps_spectra **out);
void nps_spectra_free(nps_spectra *s);

size_t nps_spectra_count(const nps_spectra *s);
/* Total number of peaks over all spectra. */
size_t nps_spectra_total_peaks(const nps_spectra *s);

/* The peaks of spectrum i, sorted by m/z. The pointers stay valid until the
 * collection is changed or freed. */
void nps_spectra_peaks(const nps_spectra *s, size_t i, const double **mz, const float **intensity,
                       size_t *n);

/* The annotation of peak k of spectrum i (the quoted or trailing text of its
 * peak line, e.g. "b8/-0.07" or a formula), or NULL. */
const char *nps_spectra_peak_annotation(const nps_spectra *s, size_t i, size_t k);

/* The value of the first metadata entry named `key` (case-insensitive), or
 * NULL. The string lives as long as the collection. */
const char *nps_spectra_get(const nps_spectra *s, size_t i, const char *key);
/* Number of metadata entries of spectrum i, and entry j of them. */
size_t nps_spectra_meta_count(const nps_spectra *s, size_t i);
void nps_spectra_meta_at(const nps_spectra *s, size_t i, size_t j, const char **key,
                         const char **value);

/* Record id: DB#/accession, else MGF TITLE, else SPECTRUM_ID, else Name,
 * else "<source file>#<record number>". Never NULL. */
const char *nps_spectra_id(const nps_spectra *s, size_t i);
/* Name, or "" when the record has none. */
const char *nps_spectra_name(const nps_spectra *s, size_t i);
/* Precursor m/z, or NAN when the record has no numeric precursor. */
double nps_spectra_precursor_mz(const nps_spectra *s, size_t i);
nps_kind nps_spectra_kind(const nps_spectra *s, size_t i);

/* Append one spectrum. keys/values hold n_meta strings each (may be NULL when
 * n_meta is 0). Peaks need not be sorted; they are sorted by m/z on insert.
 * m/z must be finite and >= 0, intensities finite and >= 0 (NPS_EINVAL). */
int nps_spectra_add(nps_spectra *s, const double *mz, const float *intensity, size_t n_peaks,
                    const char *const *keys, const char *const *values, size_t n_meta);
/* Append spectrum i of src. */
int nps_spectra_add_from(nps_spectra *dst, const nps_spectra *src, size_t i);

/* Index of the first spectrum whose id equals `id`, or NPS_ENOTFOUND.
 * Builds a hash table on first use (not thread-safe on first call). */
int nps_spectra_find(size_t *out_index, const nps_spectra *s, const char *id);

/* ------------------------------------------------------------------------- */
/* Reading and writing spectrum files                                        */
/* ------------------------------------------------------------------------- */

typedef enum {
    NPS_FORMAT_AUTO = 0, /* detect from content, then from the extension */
    NPS_FORMAT_MSP = 1,
    NPS_FORMAT_MGF = 2,
    NPS_FORMAT_MASSBANK = 3,   /* MassBank record format (read only) */
    NPS_FORMAT_CSV = 4,        /* m/z, intensity columns; one spectrum per file (read only) */
    NPS_FORMAT_JSON = 5,       /* matchms-compatible JSON (write only) */
    NPS_FORMAT_MZML = 6,       /* mzML 1.1, plain or indexed (read only) */
    NPS_FORMAT_MZXML = 7,      /* mzXML 2.x/3.x (read only) */
    NPS_FORMAT_JCAMP = 8,      /* JCAMP-DX mass spectra (read only) */
    NPS_FORMAT_MS2 = 9,        /* MS1/MS2 text (S/I/Z/D lines) (read only) */
    NPS_FORMAT_MZSPECLIB = 10, /* mzSpecLib 1.0 text (read only) */
    NPS_FORMAT_ANDI = 11 /* netCDF AIA/ANDI-MS runs (.cdf; runs are written by nps_run_write) */
} nps_format;

/* Called once for every malformed record that is skipped. */
typedef void (*nps_diag_fn)(void *ctx, const char *file, size_t line, const char *reason);

typedef struct {
    int version;
    nps_format format;
    int strict;           /* stop at the first malformed record (NPS_EFORMAT) */
    nps_diag_fn on_error; /* may be NULL */
    void *on_error_ctx;
    size_t max_line_bytes; /* a longer line is a malformed record */
    size_t max_peaks;      /* a record with more peaks is malformed */
    int ms_level; /* runs (mzML, mzXML): which MS level to read; 0 = the run's default (MS2,
                     or MS1 for an electron-ionisation GC-MS run), -1 = every level */
    /* Version 2. Streamed reading: when set, the records are handed over as
     * they are read, in batches of at most NPS_READ_BATCH, in file order:
     * on_batch receives the collection holding the records read since its
     * last call (the one given to nps_io_read), takes what it needs, and
     * the collection is emptied after it returns. Memory then stays that of
     * a batch whatever the size of the file. A nonzero return stops reading
     * with that code. */
    int (*on_batch)(void *ctx, const nps_spectra *batch);
    void *on_batch_ctx;
} nps_read_options;

#define NPS_READ_BATCH 256
#define NPS_READ_OPTIONS_VERSION 2
#define NPS_READ_OPTIONS_INIT                                                                      \
    {                                                                                              \
        NPS_READ_OPTIONS_VERSION, NPS_FORMAT_AUTO, 0, NULL, NULL, (size_t)64 << 20,                \
            (size_t)10000000, 0, NULL, NULL                                                        \
    }

typedef struct {
    size_t records_read;     /* appended to the collection */
    size_t records_skipped;  /* malformed, reported through on_error */
    size_t records_filtered; /* well-formed but not selected (another MS level) */
    size_t files_read;       /* files (streams) read */
    size_t files_skipped;    /* files in a directory that are not spectra files */
} nps_read_report;

/* Append every well-formed record of `path` to dst. Malformed records are
 * skipped, counted and reported; the function then still returns 0 unless
 * options->strict is set. A file that cannot be read at all (missing, empty,
 * binary, unknown format) returns an error. report may be NULL; its counts
 * are added to, so one report can sum several calls.
 *
 * `path` may be anything that can be opened and read forward once: a file,
 * "-" for standard input, a pipe, a FIFO, a process substitution
 * (/dev/fd/N). gzip-compressed data is recognised by its content and
 * inflated. A directory is read as every file under it, in name order,
 * recursively; files that are not spectra files are reported through
 * on_error (line 0) and counted in files_skipped. */
int nps_io_read(nps_spectra *dst, nps_read_report *report, const char *path,
                const nps_read_options *options);
/* The same for bytes in memory (a server's upload): `data` may be gzip;
 * `name` is what messages and fallback ids call it. */
int nps_io_read_memory(nps_spectra *dst, nps_read_report *report, const void *data, size_t len,
                       const char *name, const nps_read_options *options);
/* Detect the format of a file from its first bytes and its name. */
int nps_io_detect(nps_format *out, const char *path);
/* The lower-case name of a format ("msp", "mzml", ...). */
const char *nps_format_name(nps_format format);

/* Output files. Written safely and in the right place: a regular file or a
 * new path through a temporary file beside it, fsync and rename (a symbolic
 * link's target is what gets replaced; the link stays); "-" (standard
 * output), device nodes, FIFOs and paths under /dev/ or /proc/ in place.
 * Every flush, fsync and close is checked at commit: a full disk, a closed
 * pipe or an unwritable target gives NPS_EIO with the path and the reason,
 * and the target is left as it was. */
typedef struct nps_output nps_output;
int nps_output_open(nps_output **out, const char *path);
/* For producers that need a file name (HDF5): write the file at
 * nps_output_write_path() and close it; commit then puts it in place (a
 * copy of its bytes for an in-place target). */
int nps_output_open_path(nps_output **out, const char *path);
FILE *nps_output_stream(nps_output *o);                 /* NULL for a by-path output */
const char *nps_output_write_path(const nps_output *o); /* by-path outputs only */
const char *nps_output_name(const nps_output *o);       /* "stdout" for "-" */
int nps_output_in_place(const nps_output *o);
/* Whether nps_output_open would write path in place (a stream: "-", a
 * device, a FIFO, a /dev or /proc path or a link into one) rather than
 * replace a file; without opening it. */
int nps_output_writes_in_place(const char *path);
/* Finish: check, sync, put in place; frees o whatever the result. */
int nps_output_commit(nps_output *o);
/* Abandon: the target is left as it was; frees o (NULL accepted). */
void nps_output_discard(nps_output *o);

/* Write spectra [0, count) in the given format to a stream. */
int nps_io_write(FILE *fp, const nps_spectra *s, nps_format format);
/* Write to a path through nps_output ("-", devices and FIFOs in place). */
int nps_io_write_path(const char *path, const nps_spectra *s, nps_format format);

/* ------------------------------------------------------------------------- */
/* Runs: what a GC-MS or LC-MS/MS instrument writes                          */
/* ------------------------------------------------------------------------- */

/*
 * A run is a chromatographic acquisition: scans in retention-time order,
 * each with its MS level, precursor (MS2) and peaks (src/run/run.c). It is
 * read from any format that carries scan times (mzML, mzXML, netCDF
 * ANDI-MS, JCAMP-DX runs, MS1/MS2 text) and is immutable once made.
 */
typedef struct nps_run nps_run;

typedef struct {
    int version;
    nps_format format;    /* NPS_FORMAT_AUTO: detected */
    int kind;             /* -1: from the file (every scan MS1 without a precursor and no
                             LC source named: GC-EI-MS); NPS_KIND_EI or NPS_KIND_MSMS: forced */
    nps_diag_fn on_error; /* every irregularity found, with its scan; may be NULL */
    void *on_error_ctx;
} nps_run_options;

#define NPS_RUN_OPTIONS_VERSION 1
#define NPS_RUN_OPTIONS_INIT                                                                       \
    {                                                                                              \
        NPS_RUN_OPTIONS_VERSION, NPS_FORMAT_AUTO, -1, NULL, NULL                                   \
    }

/* What reading a run found. Nothing is left out without being counted here
 * and reported through on_error. */
typedef struct {
    size_t scans;           /* scans in the run */
    size_t ms1, msn;        /* MS1 scans; MS2 and higher */
    size_t empty;           /* scans without a peak (kept: zero in every chromatogram) */
    size_t out_of_order;    /* scans timed before the scan read before them (the run is
                               put in time order) */
    size_t duplicate_times; /* scans of a level at the time of the one before (kept) */
    size_t no_time;         /* scans without a retention time: left out of the run */
    size_t skipped;         /* malformed records the reader skipped */
    size_t late;            /* streamed (nps_run_components): scans out of order that came
                               after their window was done: left out */
} nps_run_report;

int nps_run_read(nps_run **out, nps_run_report *report, const char *path,
                 const nps_run_options *options);
/* A run from spectra that carry Retention_time (minutes), one per scan;
 * `name` names the run in reports. */
int nps_run_from_spectra(nps_run **out, nps_run_report *report, const nps_spectra *scans,
                         const char *name, const nps_run_options *options);
void nps_run_free(nps_run *run);
const char *nps_run_name(const nps_run *run);
nps_kind nps_run_kind(const nps_run *run);
size_t nps_run_count(const nps_run *run);
double nps_run_time(const nps_run *run, size_t scan); /* minutes */
int nps_run_level(const nps_run *run, size_t scan);
double nps_run_precursor(const nps_run *run, size_t scan); /* NAN for MS1 */
void nps_run_peaks(const nps_run *run, size_t scan, const double **mz, const float **intensity,
                   size_t *n);
/* The total ion current of every scan into tic[0, nps_run_count(run)); scans
 * of another level than `level` get NAN. */
void nps_run_tic(double *tic, const nps_run *run, int level);
/* Write the run's MS1 scans as a netCDF ANDI-MS file (through nps_output). */
int nps_run_write(const nps_run *run, const char *path);

/*
 * GC-MS deconvolution (src/run/deconvolve.c, after AMDIS: Stein, J Am Soc
 * Mass Spectrom 1999; and MS-DIAL's MS1Dec): per-ion baseline and noise,
 * per-ion apexes, components perceived from co-apexing ions, the sharpest
 * of them the component's model peak, and every ion's chromatogram fitted
 * by non-negative least squares to the model peaks of the components that
 * elute together. Each component is one spectrum (unit m/z, fitted apex
 * heights) with metadata: Name ("Component <n> at <rt> min"),
 * Retention_time (minutes), Apex_scan, Scan_range, Model_ion, Area, Height,
 * Purity, Sharpness, Ions, Run. Components are in retention-time order; the
 * result is the same at any thread count.
 */
typedef struct {
    int version;
    double min_snr;              /* the model ion's apex height over its noise */
    size_t min_ions;             /* ions apexing together that make a component */
    double apex_tolerance;       /* scans: how close ions' apexes must be to co-apex */
    double min_width;            /* scans: a model peak's least width at half height (spikes) */
    size_t baseline_window;      /* scans each side for the baseline (moving minimum) */
    double ion_snr;              /* an ion enters a component when its fitted height is this
                                    many times its noise */
    size_t window;               /* scans per processing window (memory and parallelism) */
    int threads;                 /* 0: OpenMP default */
    const double *exclude_model; /* m/z never used as model ions; NULL: air and column
                                    bleed (NPS_DECONVOLVE_EXCLUDED) */
    size_t n_exclude_model;
} nps_deconvolve_options;

/* The default model-ion exclusions: water, nitrogen, oxygen, argon, carbon
 * dioxide, and the polysiloxane column bleed and septum ions. */
#define NPS_DECONVOLVE_EXCLUDED                                                                    \
    {                                                                                              \
        18, 28, 32, 40, 44, 73, 147, 207, 221, 281, 295, 341, 355, 429                             \
    }

#define NPS_DECONVOLVE_OPTIONS_VERSION 1
#define NPS_DECONVOLVE_OPTIONS_INIT                                                                \
    {                                                                                              \
        NPS_DECONVOLVE_OPTIONS_VERSION, 10.0, 3, 1.0, 3.0, 40, 3.0, 1024, 0, NULL, 0               \
    }

/* Deconvolve the MS1 scans of a run into its components. NPS_EINVAL for a
 * run without MS1 scans or bad options. */
int nps_deconvolve(nps_spectra **out, const nps_run *run, const nps_deconvolve_options *options);

/* The same, streamed: MS1 scans pushed one at a time in time order are kept
 * only until the windows that need them are done, so memory is bounded by
 * the window, not by the run; the components are those nps_deconvolve
 * gives for the run read whole. A scan pushed out of time order is put in
 * its place while its window is still open, and otherwise left out and
 * counted (nps_deconvolver_late). finish returns the components (the
 * caller frees them) and ends the stream. */
typedef struct nps_deconvolver nps_deconvolver;
int nps_deconvolver_create(nps_deconvolver **out, const char *run_name,
                           const nps_deconvolve_options *options);
int nps_deconvolver_push(nps_deconvolver *d, size_t scan_number, double time_min, const double *mz,
                         const float *intensity, size_t n);
size_t nps_deconvolver_late(const nps_deconvolver *d);
int nps_deconvolver_finish(nps_spectra **out, nps_deconvolver *d);
void nps_deconvolver_free(nps_deconvolver *d);

/* A run's total ion current: one value per scan of `level` (MS1; MS2 for a
 * run without MS1 scans), with the scans' times. */
typedef struct {
    char *run;    /* the run's name */
    int level;    /* the MS level summed */
    size_t n;     /* scans */
    double *time; /* minutes */
    double *tic;
} nps_chromatogram;
int nps_run_chromatogram(nps_chromatogram **out, const nps_run *run);
void nps_chromatogram_free(nps_chromatogram *c);

/*
 * LC-MS/MS runs: the MS2 scans grouped by precursor m/z (within
 * precursor_tolerance) and retention time (a group ends when none of its
 * scans came within rt_gap minutes), each group merged into one consensus
 * spectrum (peaks within fragment_tolerance clustered across its scans, a
 * cluster kept when present in at least min_fraction of them, at its
 * intensity-weighted m/z and mean intensity). Metadata: Name, PrecursorMZ,
 * Retention_time (the most intense scan's), RT_range, Scans, Run.
 */
typedef struct {
    int version;
    double precursor_tolerance; /* Da */
    double rt_gap;              /* minutes */
    double fragment_tolerance;  /* Da */
    double min_fraction;        /* 0..1 */
} nps_consensus_options;
#define NPS_CONSENSUS_OPTIONS_VERSION 1
#define NPS_CONSENSUS_OPTIONS_INIT                                                                 \
    {                                                                                              \
        NPS_CONSENSUS_OPTIONS_VERSION, 0.01, 0.5, 0.01, 0.5                                        \
    }
int nps_run_consensus(nps_spectra **out, const nps_run *run, const nps_consensus_options *options);

/* From a run file to its components in one pass with bounded memory (what
 * `npsmatch screen` and `deconvolve` do): the file is read in batches
 * (nps_read_options.on_batch); MS1 scans go to a streamed deconvolution as
 * they come, MS2 scans are kept (they are small) and grouped at the end
 * when the run is LC-MS/MS; the chromatogram is kept for the report. The
 * kind is decided as nps_run_read decides it (ro->kind forces it). report
 * counts what nps_run_read counts, plus scans out of order that came after
 * their window (left out). chromatogram may be NULL. */
int nps_run_components(nps_spectra **components, nps_chromatogram **chromatogram,
                       nps_run_report *report, const char *path, const nps_run_options *ro,
                       const nps_deconvolve_options *dec, const nps_consensus_options *cons);

/*
 * Retention indices (src/run/ri.c): the linear, temperature-programmed RI
 * of van den Dool and Kratz (J Chromatogr 1963). With the n-alkanes of
 * carbon numbers n < N that elute at t_n <= t <= t_N around a compound at t
 * (N = n + 1 unless the ladder misses carbons),
 *     RI = 100 n + 100 (N - n) (t - t_n) / (t_N - t_n).
 */
typedef struct nps_ri_ladder nps_ri_ladder;
/* From carbon numbers and times (minutes), in any order. NPS_EINVAL for
 * fewer than two alkanes, a carbon number twice, or times that do not grow
 * with the carbon number. */
int nps_ri_ladder_create(nps_ri_ladder **out, const int *carbons, const double *times, size_t n);
/* A text file of "carbon time" lines (time in minutes; '#' comments and
 * blank lines; "12", "C12" and "n-C12" all name dodecane). */
int nps_ri_ladder_read(nps_ri_ladder **out, const char *path);
/* From the components of an n-alkane standard run: the components whose
 * spectra are alkane-like (m/z 57 base peak or second, 43/57/71/85 the
 * largest ions of the series) numbered by elution order from first_carbon;
 * NPS_ENOTFOUND when fewer than two are found. */
int nps_ri_ladder_from_components(nps_ri_ladder **out, const nps_spectra *components,
                                  int first_carbon);
void nps_ri_ladder_free(nps_ri_ladder *ladder);
size_t nps_ri_ladder_count(const nps_ri_ladder *ladder);
void nps_ri_ladder_at(const nps_ri_ladder *ladder, size_t i, int *carbon, double *time);
/* The RI at time t (minutes): 0, or NPS_ERANGE (and *out NAN) when t is
 * outside the ladder: never extrapolated. */
int nps_ri_at(double *out, const nps_ri_ladder *ladder, double t);

/* The RI penalty (after AMDIS's, D'Arcy and Mallard, AMDIS User Guide,
 * NIST 2004): none while |RI - library RI| <= window, then growing by
 * `slope` (score units per RI unit) up to max_penalty; no_ri is the penalty
 * when the library spectrum has no RI (the query having one). */
typedef struct {
    int version;
    double window;
    double slope;
    double max_penalty;
    double no_ri;
} nps_ri_options;
#define NPS_RI_OPTIONS_VERSION 1
#define NPS_RI_OPTIONS_INIT                                                                        \
    {                                                                                              \
        NPS_RI_OPTIONS_VERSION, 20.0, 0.005, 0.2, 0.0                                              \
    }
/* The RI a spectrum's metadata gives, or NAN: Retention_index (MSP "RI",
 * MassBank AC$CHROMATOGRAPHY KOVATS_RTI) as a number, or NIST's
 * "SemiStdNP=<ri>/..." form (semi-standard non-polar preferred, then
 * standard non-polar, then the first value), or "RI=<ri>" in the Comments. */
double nps_spectra_ri(const nps_spectra *s, size_t i);
/* A copy of components with each one's Retention_index from the ladder
 * (from its Retention_time); a component outside the ladder gets no index
 * and RI_flag "outside ladder" (counted in *outside, which may be NULL). */
int nps_ri_annotate(nps_spectra **out, const nps_spectra *components, const nps_ri_ladder *ladder,
                    size_t *outside);
/* The penalty for a query RI against a library RI (either may be NAN: no
 * penalty without a query RI; no_ri without a library RI). */
double nps_ri_penalty(const nps_ri_options *options, double query_ri, double library_ri);

/* ------------------------------------------------------------------------- */
/* Preprocessing                                                             */
/* ------------------------------------------------------------------------- */

typedef enum {
    NPS_NORMALIZE_NONE = 0,
    NPS_NORMALIZE_SUM = 1, /* intensities sum to 1 */
    NPS_NORMALIZE_MAX = 2  /* base peak 1 */
} nps_normalize;

/*
 * One set of cleaning parameters. The steps run in this order (the order of
 * ms_entropy's clean_spectrum, so that entropy scores match the peers):
 *   unit mass (EI): m/z := floor(m/z + 0.5), duplicate m/z keep the maximum;
 *   drop m/z <= min_mz, and m/z >= precursor - precursor_removal when both
 *   are > 0; drop intensity <= 0;
 *   merge peaks closer than or exactly merge_tolerance (intensity-weighted
 *   centroid, iterated until no two peaks are that close);
 *   drop peaks below noise x base peak; keep the max_peaks most intense;
 *   normalise.
 * `raw` disables every step except sorting by m/z.
 */
typedef struct {
    int version;
    int raw;
    int unit_mass;
    double min_mz;
    double precursor_removal; /* Da; 0 disables */
    double merge_tolerance;   /* Da; 0 disables */
    double noise;             /* fraction of the base peak; 0 disables */
    size_t max_peaks;         /* 0: no limit */
    nps_normalize normalize;
    double merge_tolerance_ppm; /* merge in ppm instead (ms_entropy's ppm rule); 0 disables */
} nps_preprocess_options;

#define NPS_PREPROCESS_OPTIONS_VERSION 1
/* LC-MS/MS default: the Flash entropy search's cleaning. */
#define NPS_PREPROCESS_MSMS_INIT                                                                   \
    {                                                                                              \
        NPS_PREPROCESS_OPTIONS_VERSION, 0, 0, 0.0, 1.6, 0.05, 0.01, 0, NPS_NORMALIZE_SUM, 0.0      \
    }
/* GC-EI-MS default: unit mass, every peak kept. */
#define NPS_PREPROCESS_EI_INIT                                                                     \
    {                                                                                              \
        NPS_PREPROCESS_OPTIONS_VERSION, 0, 1, 0.0, 0.0, 0.0, 0.0, 0, NPS_NORMALIZE_SUM, 0.0        \
    }
#define NPS_PREPROCESS_RAW_INIT                                                                    \
    {                                                                                              \
        NPS_PREPROCESS_OPTIONS_VERSION, 1, 0, 0.0, 0.0, 0.0, 0.0, 0, NPS_NORMALIZE_NONE, 0.0       \
    }

/* Preprocessing per kind of spectrum. */
typedef struct {
    nps_preprocess_options ei;
    nps_preprocess_options msms;
} nps_preprocess_config;

#define NPS_PREPROCESS_CONFIG_INIT                                                                 \
    {                                                                                              \
        NPS_PREPROCESS_EI_INIT, NPS_PREPROCESS_MSMS_INIT                                           \
    }

/* A new collection holding every spectrum of `in` preprocessed with the
 * options for its kind; metadata is copied unchanged. */
int nps_preprocess_spectra(nps_spectra **out, const nps_spectra *in,
                           const nps_preprocess_config *config);

/* Preprocess one spectrum into caller buffers of capacity n (the result never
 * has more peaks than the input). Returns the new peak count. precursor_mz may
 * be NAN. */
size_t nps_preprocess_peaks(double *out_mz, float *out_intensity, const double *mz,
                            const float *intensity, size_t n, double precursor_mz,
                            const nps_preprocess_options *options);

/* ------------------------------------------------------------------------- */
/* Scores                                                                    */
/* ------------------------------------------------------------------------- */

typedef enum {
    NPS_SCORE_AUTO = -1, /* per query kind: see nps_search_default_score() */
    NPS_SCORE_ENTROPY = 0,
    NPS_SCORE_ENTROPY_UNWEIGHTED = 1,
    NPS_SCORE_COSINE = 2,
    NPS_SCORE_COMPOSITE = 3,
    NPS_SCORE_COUNT /* number of scores: every per-score table is sized by it */
} nps_score_type;

typedef struct {
    int version;
    nps_score_type type;
    double tolerance; /* fragment tolerance in Da, or in ppm when tolerance_ppm */
    int tolerance_ppm;
    double mz_power;        /* cosine only */
    double intensity_power; /* cosine only */
    int reverse;            /* ignore query peaks that have no partner in the reference */
} nps_score_options;

#define NPS_SCORE_OPTIONS_VERSION 1
/* The cosine weights every front end starts from (compare and search alike):
 * intensity^0.5, no m/z weight, the square-root dot product of NIST MS
 * Search that damps the base peak's dominance. */
#define NPS_DEFAULT_MZ_POWER 0.0
#define NPS_DEFAULT_INTENSITY_POWER 0.5
#define NPS_SCORE_OPTIONS_INIT                                                                     \
    {                                                                                              \
        NPS_SCORE_OPTIONS_VERSION, NPS_SCORE_ENTROPY, 0.02, 0, NPS_DEFAULT_MZ_POWER,               \
            NPS_DEFAULT_INTENSITY_POWER, 0                                                         \
    }

const char *nps_score_name(nps_score_type t);
int nps_score_parse(nps_score_type *out, const char *name);

/* Per-thread scratch memory for pairwise scoring. */
typedef struct nps_score_workspace nps_score_workspace;
int nps_score_workspace_create(nps_score_workspace **out);
void nps_score_workspace_free(nps_score_workspace *ws);

/* One matched peak pair (indices into the query and the reference). */
typedef struct {
    size_t query;
    size_t reference;
} nps_peak_match;

typedef struct {
    double score;     /* 0..1 */
    size_t matched;   /* matched peak pairs */
    double composite; /* NIST composite match factor 0..1 (composite score only) */
    double reverse;   /* its reverse match factor 0..1 (composite score only) */
} nps_score_result;

/* Score a query against a reference spectrum, both already preprocessed.
 * When matches is not NULL it receives up to *n_matches (capacity in, count
 * out) matched pairs. */
int nps_score_pair(nps_score_result *out, nps_peak_match *matches, size_t *n_matches,
                   nps_score_workspace *ws, const double *q_mz, const float *q_int, size_t q_n,
                   const double *r_mz, const float *r_int, size_t r_n,
                   const nps_score_options *options);

/* Hybrid (analogue) similarity (after NIST's hybrid search; exact rule in
 * src/scoring/hybrid.c and docs/scores.md): a reference peak matches a query
 * peak directly or shifted by delta = query precursor - reference precursor,
 * each peak at most once, greedy by contribution. The contribution is the
 * pair term of options->type (entropy; cosine; for the composite its
 * dot-product term). reverse is ignored. */
typedef struct {
    double score;   /* 0..1 */
    double delta;   /* the shift used (query - reference) */
    size_t direct;  /* matched pairs at the same m/z */
    size_t shifted; /* matched pairs through the shift */
} nps_hybrid_result;

int nps_score_hybrid(nps_hybrid_result *out, nps_score_workspace *ws, const double *q_mz,
                     const float *q_int, size_t q_n, double q_precursor, const double *r_mz,
                     const float *r_int, size_t r_n, double r_precursor,
                     const nps_score_options *options);
/* The same rule with an explicit shift and no precursor (EI analogues). */
int nps_score_shifted(nps_hybrid_result *out, nps_score_workspace *ws, const double *q_mz,
                      const float *q_int, size_t q_n, const double *r_mz, const float *r_int,
                      size_t r_n, double delta, const nps_score_options *options);

/* Interpret a mass difference delta = unknown - library compound as the
 * structural change it most likely is (src/analogue/massshift.c: CH2, O, F for
 * H, Cl for H, methoxy, methylenedioxy, beta-keto, ...), within tol (Da);
 * nominal != 0 compares nominal masses (unit-mass EI spectra). Writes a
 * description ("+CH2 (homologue: ...)", "F for H (fluoro)", alternatives
 * joined by " or ", or a pair "+CH2, +O") and returns the number of matches
 * (0: none, buf empty). */
size_t nps_mass_shift_describe(char *buf, size_t n, double delta, double tol, int nominal);

/* ------------------------------------------------------------------------- */
/* Libraries (HDF5)                                                          */
/* ------------------------------------------------------------------------- */

typedef struct nps_library nps_library;

/* Build a library in memory from spectra (copied), preprocessing each with
 * config. Every record gets a distinct id: the k-th repeat of an id (two
 * spectra named alike, with no accession) is stored with DB# "<id>#k", its own
 * DB#, if any, kept as Original_DB#. */
int nps_library_create(nps_library **out, const nps_spectra *spectra,
                       const nps_preprocess_config *config);
/* Open an HDF5 library file (read fully into memory, then closed). */
int nps_library_open(nps_library **out, const char *path);
/* With NPS_LIBRARY_SEARCH_ONLY only the search-ready peaks and the metadata
 * are read (about half the memory of a library): nps_library_spectra() then
 * returns the processed spectra, and the library cannot be saved, exported
 * with its original peaks, or reprocessed. */
#define NPS_LIBRARY_SEARCH_ONLY 1u
int nps_library_open_ex(nps_library **out, const char *path, unsigned flags);
/* With NPS_LIBRARY_METADATA_ONLY only the records' metadata is read, with no
 * peaks: what a report of hits needs (ids, names, keys, classes, precursors)
 * for a search that ran elsewhere (nps_hits_merge_parts). No plan can be made
 * from such a library. */
#define NPS_LIBRARY_METADATA_ONLY 2u
/* One of n_parts equal, contiguous parts of a library file, for one process
 * of a search split across machines: part p (0 <= p < n_parts) holds the
 * records [floor(p n / n_parts), floor((p + 1) n / n_parts)) of the file's n,
 * search-ready peaks and metadata only (as NPS_LIBRARY_SEARCH_ONLY), with its
 * own fragment index; only the part's bytes are read. Its checksum is the
 * file's. Hits against it index the part (nps_hits_pack makes them global). */
int nps_library_open_part(nps_library **out, const char *path, size_t part, size_t n_parts);
/* Where a part sits in its file: its first record, and the file's record
 * count (0 and the count for a whole library). */
size_t nps_library_part_first(const nps_library *lib);
size_t nps_library_part_total(const nps_library *lib);
int nps_library_metadata_only(const nps_library *lib);
/* *is_library = 1 when the file at path begins like an npsmatch library
 * (its integrity envelope, or the HDF5 signature), whatever its name; 0 for
 * anything else, including what cannot be opened or is not a regular file. */
int nps_library_sniff(int *is_library, const char *path);
void nps_library_free(nps_library *lib);
/* Write a library to an HDF5 file atomically (temporary file, fsync, rename). */
int nps_library_save(const nps_library *lib, const char *path);

/* Records stored under a new id because their id repeated an earlier one
 * (they carry NPS_KEY_DUPLICATE_OF); *first (may be NULL) gets the first
 * repeated id, or NULL. */
size_t nps_library_duplicate_ids(const char **first, const nps_library *lib);

/* "crc32:xxxxxxxx", the checksum of the file the library was opened from
 * (its integrity envelope: every byte after the header), verified at open;
 * "" for a library built in memory. Identifies the exact library file a
 * result came from. */
const char *nps_library_checksum(const nps_library *lib);

/* The spectra as read from their source files (for export). */
const nps_spectra *nps_library_spectra(const nps_library *lib);
/* The search-ready spectra (preprocessed with nps_library_preprocessing()). */
const nps_spectra *nps_library_processed(const nps_library *lib);
const nps_preprocess_config *nps_library_preprocessing(const nps_library *lib);
/* A new library with the same imported spectra preprocessed with another
 * configuration (the library itself, shared by plans, never changes). */
int nps_library_reprocess(nps_library **out, const nps_library *lib,
                          const nps_preprocess_config *config);
/* Format version of the file the library was opened from (or the current one). */
int nps_library_format_version(const nps_library *lib);
/* Deep consistency check of a library in memory, beyond what opening checks
 * (file size and CRC-32, dataset checksums, monotonic offsets): unique record
 * ids; finite, non-negative peaks sorted by m/z in both copies; one processed
 * spectrum per spectrum; and a fragment index that holds every processed peak
 * exactly once, in m/z order, with the peak's own m/z and spectrum.
 * Returns 0, or NPS_ELIBRARY naming the first violation. */
int nps_library_verify(const nps_library *lib);

#define NPS_LIBRARY_FORMAT_VERSION 2

/* ------------------------------------------------------------------------- */
/* Search                                                                    */
/* ------------------------------------------------------------------------- */

typedef enum {
    NPS_MODE_AUTO = -1, /* identity for MS/MS with a precursor, open otherwise */
    NPS_MODE_IDENTITY = 0,
    NPS_MODE_OPEN = 1,
    NPS_MODE_HYBRID = 2,       /* whole library, direct and precursor-shifted matches (MS/MS) */
    NPS_MODE_NEUTRAL_LOSS = 3, /* whole library, spectra as neutral losses (MS/MS) */
    NPS_MODE_SHIFT = 4,        /* whole library, FFT shift correlation + hybrid rule (EI) */
    NPS_MODE_ANALOGUE = 5,     /* per query: HYBRID for MS/MS with a precursor, else SHIFT */
    NPS_MODE_COUNT             /* number of modes: every per-mode table is sized by it */
} nps_search_mode;

const char *nps_search_mode_name(nps_search_mode m);
int nps_search_mode_parse(nps_search_mode *out, const char *name);

typedef struct {
    int version;
    nps_score_type score; /* NPS_SCORE_AUTO: per query kind */
    nps_search_mode mode;
    double tolerance; /* fragment tolerance; < 0: per kind default */
    int tolerance_ppm;
    double precursor_tolerance; /* identity mode, Da or ppm */
    int precursor_tolerance_ppm;
    int reverse;
    double mz_power;        /* cosine */
    double intensity_power; /* cosine */
    size_t top_k;
    double min_score;   /* hits need score > 0 and >= min_score */
    int threads;        /* 0: OpenMP default */
    int same_kind_only; /* EI queries only against EI references, MS/MS against MS/MS */
    void (*progress)(void *ctx, size_t done, size_t total); /* may be NULL */
    void *progress_ctx;
    int exhaustive;        /* score every candidate pairwise instead of using the fragment index */
    double *query_seconds; /* if not NULL: receives each query's search time (benchmarks) */
    double max_shift;      /* SHIFT mode: largest |mass difference| looked for (Da) */
    size_t shift_candidates; /* SHIFT mode: correlation peaks scored per library spectrum */
    size_t shift_min_pairs;  /* SHIFT mode: a shift counts only when at least this many
                                peak pairs bear it out (the shift is chosen to fit, so
                                one pair is a coincidence) */
    int evalues;             /* fit each query's null score tail: an e-value per hit */
    /* If not NULL: library spectra for which exclude(ctx, query, reference) returns
     * nonzero are never hits of that query (evaluation: leave the query's own
     * compound or laboratory out). Called from worker threads: must be thread-safe. */
    int (*exclude)(void *ctx, size_t query, size_t reference);
    void *exclude_ctx;
    /* The forms of query a plan is prepared for: NPS_QUERY_FORM(kind,
     * has_precursor) bits; 0: every form. nps_search_run sets it from the
     * batch, so that a plan does not prepare (FFT transforms, index-order
     * weights, loss spectra) for queries that never come. */
    unsigned query_forms;
    /* Mixture analysis of every query in nps_search_batch (nps_search_query_mixture):
     * whether one library compound or a combination of 2-3 explains it.
     * NPS_MIXTURES_OFF, NPS_MIXTURES_ON (the default: EI queries, their
     * residuals searched too) or NPS_MIXTURES_DEEP (MS/MS queries as well, their
     * residuals searched in open mode: several times the cost of an identity
     * search). With mixtures the plan also prepares open search. */
    int mixtures;
} nps_search_options;

/* The query_forms bit of queries of a kind, with or without a precursor. */
#define NPS_QUERY_FORM(kind, has_precursor)                                                        \
    (1u << (2u * (unsigned)(kind) + ((has_precursor) ? 1u : 0u)))

#define NPS_SEARCH_OPTIONS_VERSION 1
/* clang-format off */
#define NPS_SEARCH_OPTIONS_INIT                                                \
    {NPS_SEARCH_OPTIONS_VERSION, NPS_SCORE_AUTO, NPS_MODE_AUTO, -1.0, 0, 0.01, \
     0, 0, NPS_DEFAULT_MZ_POWER, NPS_DEFAULT_INTENSITY_POWER, 10, 0.0, 0, 1, NULL, NULL, 0, NULL, 200.0, 3, 2, 0, NULL, NULL, 0u, 1}
/* clang-format on */

#define NPS_MIXTURES_OFF 0
#define NPS_MIXTURES_ON 1
#define NPS_MIXTURES_DEEP 2

/* Default fragment tolerances per kind (Da). */
#define NPS_DEFAULT_TOLERANCE_EI 0.5
#define NPS_DEFAULT_TOLERANCE_MSMS 0.02

/* The score used for a query of this kind when options->score is AUTO. */
nps_score_type nps_search_default_score(nps_kind kind);

typedef struct {
    size_t query;     /* index into the query collection */
    size_t rank;      /* 1-based */
    size_t reference; /* index into the library */
    double score;
    size_t matched;
    double composite;     /* NIST composite MF 0..1 for EI queries, NAN otherwise */
    double composite_rmf; /* its reverse match factor 0..1 for EI queries, NAN otherwise */
    nps_score_type score_type;
    nps_search_mode mode; /* the mode actually run (never AUTO or ANALOGUE) */
    double delta_mz;      /* HYBRID, SHIFT: query - reference mass difference; NAN otherwise */
    size_t shifted;       /* HYBRID, SHIFT: matched pairs through the shift (of `matched`) */
    /* HYBRID, SHIFT: the plain (unshifted) score of the pair; NAN otherwise */
    double identity_score;
    double e_value; /* expected chance hits scoring this well (options.evalues); NAN if unfitted */
    double q_value; /* target-decoy q-value (nps_hits_target_decoy); NAN otherwise */
    /* The reverse match factor of the plain score: the fragment spectra
     * scored without a shift after the query peaks with no reference peak
     * within the tolerance are left out (for the composite score, NIST's
     * RMF: composite_rmf). */
    double rmf;
    /* The probability that this hit's compound is the query's compound,
     * given the other compounds of the hit list (nps_probability_model);
     * replicates of one compound carry the same value; NAN when no
     * calibrated model covers the query's kind and score. */
    double probability;
} nps_hit;

/*
 * The identification probability (stats/probability.c): a multinomial logit
 * over the distinct compounds of a query's hit list and one more answer,
 * "none of them". Compound c (its best hit) has utility
 *     u_c = score * s_c + matched * ln(1 + m_c)
 * with s_c its plain score (0..1) and m_c its matched peaks; "none" has
 * utility `none`. P(c) = exp(u_c) / (exp(none) + sum over c' of exp(u_c')).
 * Like NIST MS Search's Prob it rests on how far the best compound stands
 * from the others; unlike it, the compound can be absent from the library.
 * The built-in models were fitted by leave-compound-out on the shared
 * MassBank data (bench/RESULTS.md, `npsbench probability`); a lab can fit
 * its own with nps_probability_fit and apply it with nps_probability_of
 * (searches use the built-in models).
 */
typedef struct {
    int version;
    double none;    /* utility of "none of the listed compounds" */
    double score;   /* per unit of plain score */
    double matched; /* per unit of ln(1 + matched peaks) */
} nps_probability_model;
#define NPS_PROBABILITY_MODEL_VERSION 1

/* The built-in model for queries of a kind ranked by a score, or
 * NPS_ENOTFOUND when that pair is not calibrated. */
int nps_probability_model_default(nps_probability_model *out, nps_kind kind, nps_score_type score);

/* One compound of one query's hit list, for fitting: its plain score, its
 * matched peaks, and whether it is the query's compound. The observations
 * of a query are consecutive (same `query`); a query none of whose listed
 * compounds is right says "none". */
typedef struct {
    size_t query;
    double score;
    size_t matched;
    int right;
} nps_probability_obs;

/* Maximum-likelihood fit (GSL's BFGS); NPS_EINVAL when obs has fewer than
 * two queries, a query with two right compounds, or the fit does not
 * converge. With NPS_PROBABILITY_SCORE_ONLY the matched-peaks term is left
 * at 0 (a small calibration set, where it is collinear with the score). */
#define NPS_PROBABILITY_SCORE_ONLY 1u
int nps_probability_fit(nps_probability_model *out, const nps_probability_obs *obs, size_t n,
                        unsigned flags);
/* The probability of obs[i] within its query's observations obs[0, n). */
double nps_probability_of(const nps_probability_model *m, const nps_probability_obs *obs, size_t n,
                          size_t i);

typedef struct nps_hits nps_hits;

/*
 * The search core, after FFTW and Sage: a plan is made once and never changes;
 * the unit of work is one query.
 *
 * nps_plan_create() resolves the options and prepares, eagerly, everything the
 * modes and scores those options can call for needs from the library (per-peak
 * weights, the neutral-loss spectra and their index, FFT plans and library
 * transforms). A plan is immutable afterwards: any number of threads may
 * search with one plan (and its library) at once, each with its own
 * workspace. The library must outlive the plan.
 *
 * nps_search_query() searches one query (raw, as read: it is preprocessed with
 * the library's configuration) and writes its complete hits: ranks, scores,
 * the composite MF of EI hits, the plain score of analogue hits, e-values.
 * Results do not depend on which thread, workspace or batch ran the query.
 *
 * A workspace is the per-thread scratch memory: 8 bytes per library
 * spectrum (score accumulators and the touched list of the fragment index;
 * 16 when the plan has a composite index)
 * plus buffers that grow to the largest query and candidate list seen, after
 * which nothing is allocated (nps_workspace_bytes() reports the total).
 */
typedef struct nps_plan nps_plan;
typedef struct nps_workspace nps_workspace;

int nps_plan_create(nps_plan **out, const nps_library *lib, const nps_search_options *options);
void nps_plan_free(nps_plan *plan);
/* The options as resolved by the plan (top_k capped at the library size). */
const nps_search_options *nps_plan_options(const nps_plan *plan);
const nps_library *nps_plan_library(const nps_plan *plan);

int nps_workspace_create(nps_workspace **out, const nps_plan *plan);
void nps_workspace_free(nps_workspace *ws);
/* The bytes a workspace holds now. */
size_t nps_workspace_bytes(const nps_workspace *ws);

/* What a query was searched as. */
typedef struct {
    nps_kind kind;
    nps_score_type score; /* the score that ranked its hits */
    nps_search_mode mode; /* the mode actually run (never AUTO or ANALOGUE) */
    size_t n_hits;        /* hits written */
    int no_library_kind;  /* same_kind_only and the library holds no spectrum of its kind */
    int indexed;          /* the fragment index found the candidates (else: pairwise) */
} nps_query_info;

/* Search spectrum `query` of `queries` with a plan. hits must hold
 * nps_plan_options(plan)->top_k entries; they are written best first with
 * hit.query = query. info may be NULL. A workspace is used by one thread at a
 * time; the plan by any number. */
int nps_search_query(nps_hit *hits, nps_query_info *info, nps_workspace *ws, const nps_plan *plan,
                     const nps_spectra *queries, size_t query);

/*
 * Mixture analysis (src/search/mixture.c): does one library compound explain
 * the query, or a combination of two or three? The candidates are the
 * distinct compounds among the query's hits and, when the best single
 * compound leaves a good part of the query unexplained, among the hits of an
 * open search of what it leaves (the residual). The query is fitted as a
 * non-negative combination of candidate spectra (least squares on the
 * query's peaks, each spectrum scaled to unit total intensity, so that the
 * coefficients are shares of the ion current); a second (third) compound is
 * accepted only when it improves the fit by a measured margin, carries a
 * measured share, and every component matches, by the plain score, what the
 * others leave of the query. Thresholds and their calibration:
 * docs/scores.md and bench/RESULTS.md.
 */
#define NPS_MIXTURE_MAX 3
typedef struct {
    size_t reference; /* library spectrum (the compound's best-scoring one) */
    double fraction;  /* its share of the query's ion current, 0..1 (components sum to 1) */
    double score;     /* the plain score of the reference against what the other
                         components leave of the query (against the query itself
                         for a single component) */
} nps_mixture_component;

typedef struct {
    size_t n; /* 0: not analysed (no hit); 1: one compound; 2-3: a mixture */
    nps_mixture_component c[NPS_MIXTURE_MAX]; /* by decreasing fraction */
    double explained;        /* 1 - RSS / TSS of the chosen fit (NAN: not fitted, MS/MS
                                without NPS_MIXTURES_DEEP) */
    double explained_single; /* the same for the best single compound */
    int residual_searched;   /* the residual was searched for further candidates */
} nps_mixture;

/* Analyse query `query` of `queries` from its hits (as nps_search_query
 * wrote them, best first), with the same plan and a workspace of it (its
 * query buffers are reused). */
int nps_search_query_mixture(nps_mixture *out, nps_workspace *ws, const nps_plan *plan,
                             const nps_spectra *queries, size_t query, const nps_hit *hits,
                             size_t n_hits);

/* The batch convenience over nps_search_query: every query, in parallel
 * (options.threads), one workspace per thread. A failure in any worker stops
 * the batch and its code and message reach the caller. */
int nps_search_batch(nps_hits **out, const nps_plan *plan, const nps_spectra *queries);
/* nps_plan_create + nps_search_batch + nps_plan_free. */
int nps_search_run(nps_hits **out, const nps_library *lib, const nps_spectra *queries,
                   const nps_search_options *options);

/* Batch summary: queries without a hit, and queries whose kind the library
 * does not hold (counted by nps_search_batch). */
size_t nps_hits_queries_without_hit(const nps_hits *h);
size_t nps_hits_queries_kind_absent(const nps_hits *h);
void nps_hits_free(nps_hits *h);
size_t nps_hits_count(const nps_hits *h);
/* Hits in query order, then rank order. */
const nps_hit *nps_hits_at(const nps_hits *h, size_t i);
/* The range [first, first + n) of hits for one query. */
void nps_hits_for_query(const nps_hits *h, size_t query, size_t *first, size_t *n);
/* The mixture analysis of a query (options.mixtures), or NULL when the batch
 * made none (mixtures off, or hits merged from the parts of a split
 * library). */
const nps_mixture *nps_hits_mixture(const nps_hits *h, size_t query);

/* A search split by library across processes (MPI ranks): each searches the
 * whole batch against its part (nps_library_open_part) and packs its hits,
 * reference indices made global, as bytes for the same binary elsewhere
 * (free with free()). The reporting process merges the packs, in part
 * order, into the hits the whole library gives, checking each against
 * `library` (the file's metadata is enough: NPS_LIBRARY_METADATA_ONLY):
 * identical to one search of the whole library for every score and mode,
 * since the ranking is a total order; e-values and target-decoy q-values,
 * which depend on the rest of the library, cannot be split (nps_plan_create
 * refuses e-values on a part). top_k: the batch's --top. */
int nps_hits_pack(void **out, size_t *out_len, const nps_hits *h, const nps_library *part);
int nps_hits_merge_parts(nps_hits **out, const void *const *packs, const size_t *lens,
                         size_t n_parts, const nps_library *library, size_t top_k);

/* ------------------------------------------------------------------------- */
/* Error rates: decoys and target-decoy q-values                             */
/* ------------------------------------------------------------------------- */

/* Decoy spectra, one per spectrum of lib (normally a library's processed
 * spectra): same kind, precursor, peak count and intensities, fragment m/z
 * made up from the library's own fragments (below the precursor for MS/MS):
 * by conditional peak sampling (fragments that co-occur in library spectra),
 * or with conditional = 0 drawn independently (naive); ids "DECOY_<id>".
 * Reproducible for a seed (src/stats/decoy.c). nps_decoys_generate uses
 * conditional peak sampling. */
int nps_decoys_generate_ex(nps_spectra **out, const nps_spectra *lib, unsigned long seed,
                           int conditional);
int nps_decoys_generate(nps_spectra **out, const nps_spectra *lib, unsigned long seed);

/* For hits of a batch searched against a library whose spectra [0, n_targets)
 * are targets and the rest decoys: give every target hit the target-decoy
 * q-value of its score (from the queries' top hits, FDR = decoys / targets
 * at or above a score), remove the decoy hits and re-rank. *threshold gets
 * the lowest top-hit score accepted at `fdr` (INFINITY if none), and
 * *n_decoy_tops (may be NULL) the number of queries whose best hit was a
 * decoy. */
int nps_hits_target_decoy(nps_hits *h, size_t n_targets, double fdr, double *threshold,
                          size_t *n_decoy_tops);

/* Retention on hits (src/search/retention.c): every hit of a query with a
 * Retention_index loses nps_ri_penalty(options, query RI, library RI) from
 * its score and composite MF (floored at 0; AMDIS's "net match"), and each
 * query's hits are re-ranked and their probabilities recomputed. Only the
 * hits the search kept are re-ranked: search with a larger top_k to let
 * retention reach further down. */
int nps_hits_apply_ri(nps_hits *h, const nps_spectra *queries, const nps_spectra *library,
                      const nps_ri_options *options);
/* The query whose rank-1 hit is the library compound named `name`
 * (case-insensitive), the best-scoring one if several: how a run's internal
 * standard is found. NPS_ENOTFOUND when no query's best hit is that compound. */
int nps_hits_find_named(size_t *query, const nps_hits *h, const nps_spectra *library,
                        const char *name);

/* The whole target-decoy search: decoys for the library's processed spectra
 * (seeded), the queries searched against targets and decoys together, then
 * nps_hits_target_decoy. Hits refer to the library's spectra as usual. */
int nps_search_target_decoy(nps_hits **out, const nps_library *library, const nps_spectra *queries,
                            const nps_search_options *options, double fdr, double *threshold,
                            size_t *n_decoy_tops);

/* ------------------------------------------------------------------------- */
/* Calls: identified, possible new analogue, or nothing                      */
/* ------------------------------------------------------------------------- */

typedef struct {
    int version;
    double identity_threshold; /* a hit's identity_score (else score) >= this: identified;
                                  < 0: the measured default for its kind and score */
    double analogue_threshold; /* the top analogue score >= this: possible new analogue;
                                  < 0: the measured default for its kind and score */
    double shift_tolerance;    /* Da, for the interpretation of delta (nominal for EI) */
    size_t class_hits;         /* the top hits that vote on the class */
    size_t min_shifted;        /* an analogue's mass difference must be borne out by this
                                  many shifted peak pairs (one pair is too easily a
                                  coincidence, or a second compound in a mixture) */
    double ambiguity_margin;   /* an identification is AMBIGUOUS when another compound's
                                  plain score is within this of the best; < 0: the measured
                                  default for its kind and score */
} nps_call_options;

#define NPS_CALL_OPTIONS_VERSION 1
#define NPS_CALL_OPTIONS_INIT                                                                      \
    {                                                                                              \
        NPS_CALL_OPTIONS_VERSION, -1.0, -1.0, 0.01, 5, 2, -1.0                                     \
    }

/* The plain score of a hit: how alike the query and the library spectrum
 * are as they stand, without any mass shift. An analogue hit's
 * identity_score; any other hit's score. Identification rests on it. */
double nps_hit_plain_score(const nps_hit *hit);
/* The tolerance a hit's mass difference is interpreted with: EI shift hits
 * are nominal-mass (unit resolution), so 0.5 Da, written here once
 * (NPS_NOMINAL_TOLERANCE); other hits use options->shift_tolerance. */
#define NPS_NOMINAL_TOLERANCE 0.5
int nps_hit_shift_nominal(const nps_hit *hit);
double nps_hit_shift_tolerance(const nps_hit *hit, const nps_call_options *options);

/* The default thresholds of a score on spectra of a kind, measured with
 * `npsmatch evaluate --leave-compound-out` on the MassBank reference sets
 * (docs/scores.md): identity, the lowest score that at most 10 % of
 * compounds absent from the library reach (so at most 10 % of unknowns
 * absent from the library are wrongly called identified); analogue, the
 * lowest score at which at least 70 % of nearest relatives have the
 * unknown's class. */
void nps_call_default_thresholds(nps_kind kind, nps_score_type score, double *identity,
                                 double *analogue);

typedef enum {
    NPS_CALL_NONE = 0,       /* nothing convincing */
    NPS_CALL_IDENTIFIED = 1, /* a library compound, by its plain score */
    NPS_CALL_ANALOGUE = 2,   /* no identification; a close relative by the analogue score */
    NPS_CALL_MIXTURE = 3,    /* two or three library compounds together (nps_mixture) */
    NPS_CALL_AMBIGUOUS = 4   /* an identification, but other compounds score as well: the
                                spectrum does not tell them apart (positional isomers) */
} nps_call_status;

/* The name of a status as reports write it: "none", "identified",
 * "analogue", "mixture", "ambiguous". */
const char *nps_call_status_name(nps_call_status s);

#define NPS_CALL_MAX_CANDIDATES 8

/* One compound a call names: for IDENTIFIED the identification (fraction
 * 1), for MIXTURE each component (nps_mixture_component's fraction and
 * score). */
typedef struct {
    size_t reference; /* library spectrum */
    double fraction;
    double score;
    /* the hit's probability (nps_hit.probability); NAN for a mixture's
     * components, which the single-compound model does not describe */
    double probability;
} nps_call_component;

typedef struct {
    nps_call_status status;
    size_t query;        /* the query called */
    size_t hit;          /* the hit the call rests on (index for nps_hits_at), or SIZE_MAX;
                            MIXTURE: the query's top hit */
    size_t n_components; /* IDENTIFIED 1, MIXTURE 2-3, otherwise 0 */
    nps_call_component components[NPS_MIXTURE_MAX];
    /* AMBIGUOUS: the compounds within the margin, best first (fraction NAN),
     * and whether they all share one formula (positional isomers) */
    size_t n_candidates;
    nps_call_component candidates[NPS_CALL_MAX_CANDIDATES];
    int isomers;
    double delta_mz;          /* ANALOGUE: unknown - nearest relative */
    char interpretation[256]; /* ANALOGUE: the structural change delta most likely is, or "" */
    char class_name[128];     /* the class voted by the top hits (library Class field), or "" */
    double class_support;     /* the winning class's share of the voting scores, 0..1 */
} nps_call;

/* The call for one query from its hits (any mode; ANALOGUE needs a HYBRID
 * or SHIFT search), with library the spectra the hits refer to (for the
 * class field and names). A mixture analysis of the query in h
 * (nps_hits_mixture) that found two or three compounds makes the call
 * MIXTURE, whatever the single hits would give. */
int nps_hits_call(nps_call *out, const nps_hits *h, size_t query, const nps_spectra *library,
                  const nps_call_options *options);
/* One line for a report: "identified: <name> (score)", "mixture: <name>
 * (<fraction>) + <name> (<fraction>)", "possible new analogue: <class>,
 * nearest <name>, dM <delta> (<interpretation>)" or "no identification". */
void nps_call_describe(char *buf, size_t n, const nps_call *call, const nps_hits *h,
                       const nps_spectra *library);

/* ------------------------------------------------------------------------- */
/* Reports: hit rows, TSV and JSON                                           */
/* ------------------------------------------------------------------------- */

/* One hit as a report shows it: the hit, the names it refers to, and what is
 * derived from it. Strings point into the collections (never NULL; "" when
 * absent) and stay valid while they do. */
typedef struct {
    const nps_hit *hit;
    const char *query_id, *query_name;
    const char *library_id, *library_name, *inchikey, *library_class;
    double plain_score;             /* nps_hit_plain_score */
    int composite_mf;               /* NIST's match factor 0..999 (EI), or -1 */
    int composite_rmf;              /* NIST's reverse match factor 0..999 (EI), or -1 */
    double precursor_delta;         /* library - query precursor m/z, NAN if either is unknown */
    char shift_interpretation[256]; /* what the mass difference most likely is, or "" */
} nps_hit_row;

/* Row i of hits; library is the spectra the hits refer to. */
void nps_hit_row_fill(nps_hit_row *row, const nps_hits *hits, size_t i, const nps_spectra *queries,
                      const nps_spectra *library, const nps_call_options *call);

/* TSV and JSON: one row / object per hit, for programs. HTML: the case
 * report for people, self-contained (call, hit table, mirror plots,
 * provenance), of a whole batch (not of a shard). */
typedef enum { NPS_REPORT_TSV = 0, NPS_REPORT_JSON = 1, NPS_REPORT_HTML = 2 } nps_report_format;

/* One of `count` deterministic parts of a batch of `total` queries, for a
 * scheduler that spreads a batch over nodes (each holding the whole
 * library): part `index` (1-based) is queries [first, end), contiguous, the
 * parts' sizes differing by at most one. Every query's hits depend on that
 * query alone (target-decoy q-values excepted), so the parts' reports,
 * merged by nps_report_merge, are the report of the whole batch, byte for
 * byte. */
typedef struct {
    size_t index, count;
    size_t first, end, total;
} nps_shard;

int nps_shard_make(nps_shard *out, size_t index, size_t count, size_t total);

/* What produced the results, for the report's provenance (the JSON `run`
 * object). Every pointer may be NULL. */
typedef struct {
    int version;
    nps_report_format format;
    const char *library_path;         /* as the user named it */
    const nps_search_options *search; /* the options the search ran with */
    const nps_call_options *call;     /* the call's thresholds (NULL: defaults) */
    const char *const *inputs;        /* the query files, as named */
    size_t n_inputs;
    int target_decoy;                         /* q-values from a target-decoy search */
    double fdr, fdr_threshold;                /* target_decoy: the FDR and its score threshold */
    size_t queries_kind_absent;               /* queries of a kind the library does not hold */
    size_t records_skipped, records_filtered; /* while reading the queries */
    const nps_shard *shard; /* the report of one part of a batch (see nps_report_merge) */
    /* HTML: a warning the front end puts at the top of the case report (e.g.
     * that the library is the bundled illustrative one), or NULL */
    const char *warning;
} nps_report_options;

#define NPS_REPORT_OPTIONS_VERSION 1
#define NPS_REPORT_OPTIONS_INIT                                                                    \
    {                                                                                              \
        NPS_REPORT_OPTIONS_VERSION, NPS_REPORT_TSV, NULL, NULL, NULL, NULL, 0, 0, 0.0, 0.0, 0, 0,  \
            0, NULL, NULL                                                                          \
    }

/* Write the report of a search to fp. TSV: a header line, then one row per
 * hit, the call on each query's first row (columns in README.md). JSON: an
 * object {"run": {...provenance...}, "queries": [{query, hits, call}, ...]},
 * streamed one query at a time; no key twice, no non-finite number. The
 * caller checks and closes fp (nps_output). */
int nps_report_write(FILE *fp, const nps_hits *hits, const nps_spectra *queries,
                     const nps_library *library, const nps_report_options *options);

/* Merge the reports of the parts of a sharded batch (all TSV or all JSON,
 * given in any order) into the report of the whole batch, identical to an
 * unsharded run's. Refused (NPS_EINVAL, naming the part) when a part is
 * missing or given twice, when the parts disagree on the batch, or when
 * they were made with a different library (its checksum) or different
 * search or call parameters. A sharded TSV report starts with one
 * "#npsmatch-shard" line; a sharded JSON report has a "shard" object in its
 * run; neither is in the merged report. */
int nps_report_merge(FILE *out, const char *const *parts, size_t n_parts);

/*
 * The report of screened runs (src/report/screen.c): one block per
 * component of a GC-MS run (nps_deconvolve) or precursor group of an
 * LC-MS/MS run (nps_run_consensus), in the components' order (retention
 * time within each run), their hits as searched (and re-ranked by RI).
 * TSV: a header line whose first columns are
 *   run component rt_min ri rank library_id library_name score
 * then matched_peaks composite_mf purity model_mz area call, height,
 * scan_range, ri_library, ri_penalty, ri_flag, rrt, probability, rmf,
 * precursor_mz, scans, inchikey; one row per component and rank (a
 * component without a hit: one row, rank empty, call "no identification").
 * JSON: {"run": provenance, "components": [{... the same, "hits": [...],
 * "call": {...}}]}. HTML: the case report with each run's total ion
 * chromatogram, components marked, before the components' hit lists.
 */
typedef struct {
    int version;
    nps_report_format format;
    const nps_report_options *report; /* provenance as for nps_report_write (its format is
                                         ignored); may be NULL */
    const nps_ri_options *ri;         /* the RI penalty the hits carry, or NULL (none applied) */
    double standard_rt;               /* the internal standard's retention time (minutes):
                                         relative retention times; <= 0: none */
    const char *standard;             /* its name (provenance); may be NULL */
    /* HTML: the chromatograms of the runs screened (components marked) */
    const nps_chromatogram *const *chromatograms;
    size_t n_chromatograms;
    /* the parameters the components were made with, for the provenance
     * (the JSON run object's "deconvolution" and "grouping"); may be NULL */
    const nps_deconvolve_options *deconvolution;
    const nps_consensus_options *grouping;
} nps_screen_report_options;
#define NPS_SCREEN_REPORT_OPTIONS_VERSION 1
#define NPS_SCREEN_REPORT_OPTIONS_INIT                                                             \
    {                                                                                              \
        NPS_SCREEN_REPORT_OPTIONS_VERSION, NPS_REPORT_TSV, NULL, NULL, 0.0, NULL, NULL, 0, NULL,   \
            NULL                                                                                   \
    }
int nps_screen_report_write(FILE *fp, const nps_hits *hits, const nps_spectra *components,
                            const nps_library *library, const nps_screen_report_options *options);

/* ------------------------------------------------------------------------- */
/* Evaluation against a reference set                                        */
/* ------------------------------------------------------------------------- */

typedef struct {
    int version;
    const char *truth_key;        /* the field that says which compound a spectrum is: InChIKey
                                     (its first block is compared), Name, or any other */
    const char *exclude_same_key; /* NULL, or a field: library spectra sharing its value
                                     with the query are left out (e.g. the laboratory);
                                     "FIELD:sub" reads "sub=value" inside FIELD's text */
    int leave_compound_out;       /* leave out the library spectra of the query's compound */
    int decoys;                   /* target-decoy search, for the calibration table */
    nps_search_options search;    /* top_k is raised to at least 10 */
    nps_call_options call;        /* for the analogue delta tolerance */
} nps_evaluate_options;

#define NPS_EVALUATE_OPTIONS_VERSION 1
#define NPS_EVALUATE_OPTIONS_INIT                                                                  \
    {                                                                                              \
        NPS_EVALUATE_OPTIONS_VERSION, NPS_KEY_INCHIKEY, NULL, 0, 0, NPS_SEARCH_OPTIONS_INIT,       \
            NPS_CALL_OPTIONS_INIT                                                                  \
    }
#define NPS_EVALUATE_CAL_LEVELS 6
#define NPS_EVALUATE_CLASS_LEVELS 3
#define NPS_EVALUATE_ABSENT_LEVELS 3
#define NPS_EVALUATE_PROB_BINS 10

typedef struct {
    size_t n_queries;   /* in the set */
    size_t n_evaluated; /* with a truth value (and, unless leave-compound-out, a library
                           spectrum of that truth left in) */
    size_t n_hit;       /* evaluated queries with at least one hit */
    double top1, top3, top5, top10, mrr; /* fractions of n_evaluated */
    /* With leave-compound-out, "correct" below means: the nearest relative has the
     * query's class, over the queries that have a class (recall: of those). */
    double auc; /* ROC AUC of the top hit's score, correct vs incorrect top hits */
    double threshold_fdr1, recall_fdr1, threshold_fdr5, recall_fdr5; /* from the truth */
    /* leave-compound-out: the analogue-score threshold whose accepted top hits have
     * the wrong class in at most class_level of cases (0.10, 0.20, 0.30), and the recall */
    double class_level[NPS_EVALUATE_CLASS_LEVELS];
    double class_threshold[NPS_EVALUATE_CLASS_LEVELS], class_recall[NPS_EVALUATE_CLASS_LEVELS];
    /* leave-compound-out: the lowest identity threshold that at most absent_level of the
     * queries (0.01, 0.05, 0.10) reach with their best plain score, i.e. the threshold
     * at which that share of unknowns absent from the library would be wrongly called
     * identified */
    double absent_level[NPS_EVALUATE_ABSENT_LEVELS], absent_threshold[NPS_EVALUATE_ABSENT_LEVELS];
    /* calibration: predicted error rate (target-decoy q-value level) against the
     * observed false discovery proportion among the accepted top hits */
    double cal_level[NPS_EVALUATE_CAL_LEVELS], cal_observed[NPS_EVALUATE_CAL_LEVELS];
    size_t cal_accepted[NPS_EVALUATE_CAL_LEVELS];
    int calibrated; /* decoys were used */
    /* per class (the Class field of the query, else of its compound in the library);
     * with leave-compound-out, class_top1 is the fraction whose nearest relative has
     * the query's class */
    size_t n_classes;
    char (*class_name)[96];
    size_t *class_n;
    double *class_top1;
    /* leave-compound-out: the nearest relative's class and mass difference */
    size_t lco_n;           /* queries with a top hit */
    size_t lco_class_n;     /* of those, queries with a class */
    double lco_class_right; /* fraction of lco_class_n whose nearest relative has their class */
    double lco_delta_right; /* its delta_mz is the true mass difference (NAN if unknown) */
    double lco_voted_class_right;    /* of lco_class_n: the call's voted class is right */
    size_t lco_analogue_calls;       /* of lco_class_n: called "possible new analogue" */
    double lco_analogue_class_right; /* of those calls: with the right class */
    size_t lco_delta_n;              /* queries where the true difference is known */
    /* per evaluated query with a hit (leave-compound-out: and a class): the top score
     * and whether it was correct */
    double *top_score;
    unsigned char *top_correct;
    size_t n_top;
    /* the top hit's probability (nps_hit.probability) against how often it
     * is right, in NPS_EVALUATE_PROB_BINS bins of width 0.1 (not with
     * leave-compound-out, where no top hit is right): a library's own check
     * of the built-in model */
    size_t prob_n[NPS_EVALUATE_PROB_BINS];
    double prob_mean[NPS_EVALUATE_PROB_BINS], prob_observed[NPS_EVALUATE_PROB_BINS];
} nps_evaluation;

/* Search every query and score the results against the truth. */
int nps_evaluate(nps_evaluation **out, const nps_library *library, const nps_spectra *queries,
                 const nps_evaluate_options *options);
void nps_evaluation_free(nps_evaluation *e);
/* The evaluation summary as JSON (what `npsmatch evaluate` writes): the
 * figures of e under options o and, when base is not NULL, those of a
 * baseline run in base_mode; undefined figures are null. */
int nps_evaluation_write_json(FILE *fp, const nps_evaluation *e, const nps_evaluate_options *o,
                              const nps_evaluation *base, nps_search_mode base_mode);

#ifdef __cplusplus
}
#endif
#endif /* NPSMATCH_H */
