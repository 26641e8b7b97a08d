#!/usr/bin/env python3
"""Write the bundled illustrative reference library and the demo unknowns.

Every spectrum here is an illustrative reconstruction written by the npsmatch
developers from the characteristic ions reported in the open forensic
literature (base peak, molecular ion, main fragments, approximate relative
abundances). None is a measured or certified reference spectrum: a
laboratory must confirm any identification against its own certified
reference material or a validated library (e.g. SWGDRUG, NIST).

Run from anywhere: python3 make_reference_spectra.py  (writes ../*.msp)
The output is deterministic (fixed seed).
"""
import os
import random
import re

MONO = {"C": 12.0, "H": 1.00782503207, "N": 14.0030740048, "O": 15.99491461956,
        "S": 31.97207100, "Cl": 34.96885268, "Br": 78.9183371, "F": 18.99840322,
        "I": 126.904473, "P": 30.97376163}
AVG = {"C": 12.011, "H": 1.008, "N": 14.007, "O": 15.999, "S": 32.06, "Cl": 35.45,
       "Br": 79.904, "F": 18.998, "I": 126.904, "P": 30.974}
ELECTRON = 0.000548579909


def parse_formula(f):
    out = {}
    for el, n in re.findall(r"([A-Z][a-z]?)(\d*)", f):
        out[el] = out.get(el, 0) + (int(n) if n else 1)
    return out


def mono(f):
    return sum(MONO[e] * n for e, n in parse_formula(f).items())


def nominal(f):
    return sum(round(MONO[e]) * n for e, n in parse_formula(f).items())


# name, formula, CAS, class, EI peaks {m/z: relative abundance (base 999)}
EI = [
    ("Amphetamine", "C9H13N", "300-62-9", "Amphetamine-type stimulant",
     {44: 999, 91: 210, 65: 80, 42: 75, 92: 60, 43: 30, 51: 30, 120: 30, 63: 20, 77: 20, 134: 10, 119: 10}),
    ("Methamphetamine", "C10H15N", "537-46-2", "Amphetamine-type stimulant",
     {58: 999, 91: 100, 65: 40, 56: 30, 42: 30, 59: 30, 57: 20, 92: 20, 134: 10, 119: 10, 148: 8}),
    ("MDMA", "C11H15NO2", "42542-10-9", "Amphetamine-type stimulant",
     {58: 999, 135: 100, 77: 60, 136: 40, 51: 30, 105: 20, 57: 20, 59: 20, 79: 20, 162: 10, 89: 10, 193: 10}),
    ("MDA", "C10H13NO2", "4764-17-4", "Amphetamine-type stimulant",
     {44: 999, 136: 350, 135: 250, 77: 120, 51: 80, 79: 80, 179: 50, 105: 40, 106: 40, 89: 20}),
    ("MDEA", "C12H17NO2", "82801-81-8", "Amphetamine-type stimulant",
     {72: 999, 44: 120, 135: 100, 77: 50, 136: 50, 42: 40, 56: 30, 51: 30, 70: 20, 105: 20, 207: 5}),
    ("PMA (4-methoxyamphetamine)", "C10H15NO", "64-13-1", "Amphetamine-type stimulant",
     {44: 999, 122: 250, 121: 200, 77: 100, 78: 80, 91: 60, 165: 40, 107: 40, 51: 40}),
    ("PMMA (4-methoxymethamphetamine)", "C11H17NO", "3398-68-3", "Amphetamine-type stimulant",
     {58: 999, 121: 120, 78: 40, 77: 40, 91: 30, 122: 30, 56: 20, 179: 10}),
    ("Mephedrone (4-MMC)", "C11H15NO", "1189805-46-6", "Synthetic cathinone",
     {58: 999, 91: 200, 119: 150, 65: 80, 56: 50, 59: 30, 42: 30, 89: 30, 57: 20, 120: 20, 177: 10}),
    ("Methylone", "C11H13NO3", "186028-79-5", "Synthetic cathinone",
     {58: 999, 149: 120, 121: 100, 65: 80, 56: 40, 63: 30, 91: 30, 150: 20, 93: 20, 207: 20}),
    ("Ethylone", "C12H15NO3", "1112937-64-0", "Synthetic cathinone",
     {72: 999, 44: 150, 149: 100, 121: 80, 65: 60, 56: 40, 70: 30, 91: 30, 221: 10}),
    ("Pentedrone", "C12H17NO", "879722-57-3", "Synthetic cathinone",
     {86: 999, 44: 120, 105: 100, 77: 80, 87: 60, 51: 30, 56: 30, 191: 10}),
    ("MDPV", "C16H21NO3", "687603-66-3", "Synthetic cathinone",
     {126: 999, 149: 100, 127: 90, 84: 80, 121: 50, 96: 50, 97: 40, 55: 40, 69: 40, 65: 30, 275: 10}),
    ("alpha-PVP", "C15H21NO", "14530-33-7", "Synthetic cathinone",
     {126: 999, 105: 100, 127: 90, 77: 80, 84: 60, 96: 40, 55: 40, 69: 30, 51: 30, 231: 10}),
    ("2C-B", "C10H14BrNO2", "66142-81-2", "Phenethylamine (2C)",
     {230: 999, 232: 970, 259: 200, 261: 195, 229: 200, 231: 190, 199: 100, 201: 95, 148: 100,
      77: 100, 91: 80, 105: 80, 30: 150}),
    ("Mescaline", "C11H17NO3", "54-04-6", "Phenethylamine",
     {182: 999, 181: 500, 30: 300, 167: 250, 211: 250, 151: 100, 148: 100, 77: 50, 91: 50, 44: 50}),
    ("25I-NBOMe", "C18H22INO3", "919797-19-7", "Phenethylamine (NBOMe)",
     {121: 999, 91: 350, 150: 300, 122: 100, 120: 100, 65: 80, 77: 60, 278: 50, 427: 5}),
    ("25C-NBOMe", "C18H22ClNO3", "1227608-02-8", "Phenethylamine (NBOMe)",
     {121: 999, 91: 350, 150: 300, 122: 100, 120: 100, 65: 80, 77: 50, 186: 30, 229: 20, 335: 5}),
    ("DMT", "C12H16N2", "61-50-7", "Tryptamine",
     {58: 999, 130: 100, 188: 80, 143: 30, 77: 30, 103: 30, 115: 30, 42: 30, 59: 30}),
    ("5-MeO-DMT", "C13H18N2O", "1019-45-0", "Tryptamine",
     {58: 999, 218: 100, 160: 80, 173: 30, 117: 30, 145: 20, 42: 20}),
    ("Psilocin", "C12H16N2O", "520-53-6", "Tryptamine",
     {58: 999, 204: 250, 146: 80, 159: 30, 117: 30, 42: 30, 130: 20, 91: 20}),
    ("LSD", "C20H25N3O", "50-37-3", "Lysergamide",
     {323: 999, 221: 900, 222: 450, 207: 450, 181: 400, 180: 300, 72: 300, 196: 250, 223: 250,
      154: 200, 167: 150}),
    ("JWH-018", "C24H23NO", "209414-07-3", "Synthetic cannabinoid",
     {341: 999, 284: 900, 324: 500, 214: 500, 127: 450, 155: 400, 340: 250, 144: 200, 270: 150, 115: 100}),
    ("JWH-073", "C23H21NO", "208987-48-8", "Synthetic cannabinoid",
     {327: 999, 284: 800, 310: 450, 127: 400, 200: 350, 155: 350, 326: 250, 144: 150, 270: 100}),
    ("AM-2201", "C24H22FNO", "335161-24-5", "Synthetic cannabinoid",
     {359: 999, 284: 800, 342: 450, 127: 400, 155: 350, 232: 350, 144: 150, 302: 100}),
    ("AB-FUBINACA", "C20H21FN4O2", "1185282-01-2", "Synthetic cannabinoid",
     {253: 999, 109: 550, 254: 150, 324: 100, 145: 50, 83: 50, 368: 20}),
    ("5F-ADB (5F-MDMB-PINACA)", "C20H28FN3O3", "1715016-75-3", "Synthetic cannabinoid",
     {233: 999, 145: 200, 318: 150, 213: 100, 249: 60, 131: 50, 289: 50, 377: 30}),
    ("Fentanyl", "C22H28N2O", "437-38-7", "Fentanyl analogue",
     {245: 999, 146: 300, 189: 150, 105: 100, 91: 100, 57: 100, 42: 80, 202: 80, 77: 60, 96: 60, 336: 10}),
    ("Acetylfentanyl", "C21H26N2O", "3258-84-2", "Fentanyl analogue",
     {231: 999, 146: 350, 43: 150, 188: 120, 105: 120, 91: 120, 77: 80, 132: 60, 322: 10}),
    ("Furanylfentanyl", "C24H26N2O2", "101345-66-8", "Fentanyl analogue",
     {283: 999, 95: 350, 146: 250, 188: 150, 91: 120, 105: 100, 77: 60, 39: 50, 374: 10}),
    ("Cyclopropylfentanyl", "C23H28N2O", "1169-68-2", "Fentanyl analogue",
     {257: 999, 146: 300, 69: 250, 41: 150, 189: 100, 105: 100, 91: 100, 348: 10}),
    ("Carfentanil", "C24H30N2O3", "59708-52-0", "Fentanyl analogue",
     {303: 999, 187: 200, 304: 200, 146: 150, 91: 150, 105: 100, 42: 80, 77: 80, 394: 5}),
    ("Isotonitazene", "C21H26N4O3", "14188-81-9", "Nitazene (benzimidazole opioid)",
     {86: 999, 107: 80, 99: 50, 72: 50, 58: 50, 382: 10}),
    ("Heroin", "C21H23NO5", "561-27-3", "Opioid",
     {327: 999, 369: 700, 268: 650, 43: 600, 310: 400, 204: 300, 215: 250, 42: 200, 162: 150, 146: 100}),
    ("Morphine", "C17H19NO3", "57-27-2", "Opioid",
     {285: 999, 162: 300, 286: 200, 215: 200, 124: 200, 42: 200, 44: 150, 268: 150, 174: 100, 115: 100}),
    ("Codeine", "C18H21NO3", "76-57-3", "Opioid",
     {299: 999, 162: 350, 229: 200, 124: 200, 300: 200, 42: 150, 214: 120, 115: 100, 188: 100, 59: 80}),
    ("Methadone", "C21H27NO", "76-99-3", "Opioid",
     {72: 999, 57: 100, 91: 80, 73: 60, 165: 60, 294: 50, 223: 30, 178: 30, 309: 10}),
    ("Tramadol", "C16H25NO2", "27203-92-5", "Opioid",
     {58: 999, 135: 50, 59: 40, 77: 30, 263: 20, 188: 10, 245: 10}),
    ("Diazepam", "C16H13ClN2O", "439-14-5", "Benzodiazepine",
     {283: 999, 256: 900, 284: 850, 285: 400, 255: 400, 257: 300, 221: 250, 165: 100, 77: 100, 51: 50}),
    ("Alprazolam", "C17H13ClN4", "28981-97-7", "Benzodiazepine",
     {308: 999, 279: 850, 307: 600, 273: 400, 204: 400, 310: 330, 281: 300, 245: 150, 77: 150, 102: 100}),
    ("Flualprazolam", "C17H12ClFN4", "28910-91-0", "Designer benzodiazepine",
     {326: 999, 297: 800, 325: 600, 291: 350, 222: 350, 328: 330, 299: 280, 263: 120}),
    ("Etizolam", "C17H15ClN4S", "40054-69-1", "Designer benzodiazepine",
     {342: 999, 313: 450, 344: 350, 341: 300, 266: 300, 224: 250, 137: 100, 69: 100}),
    ("Clonazepam", "C15H10ClN3O3", "1622-61-3", "Benzodiazepine",
     {314: 999, 280: 900, 315: 800, 286: 600, 316: 300, 234: 300, 288: 250, 240: 200, 205: 100, 75: 100}),
    ("Cocaine", "C17H21NO4", "50-36-2", "Cocaine",
     {82: 999, 182: 650, 83: 400, 94: 300, 105: 300, 303: 250, 77: 250, 42: 150, 96: 120, 198: 100, 272: 60}),
    ("Ketamine", "C13H16ClNO", "6740-88-1", "Dissociative (arylcyclohexylamine)",
     {180: 999, 182: 320, 209: 250, 152: 200, 138: 150, 181: 120, 102: 100, 211: 80, 115: 80, 237: 30}),
    ("Phencyclidine (PCP)", "C17H25N", "77-10-1", "Dissociative (arylcyclohexylamine)",
     {200: 999, 242: 550, 243: 500, 186: 400, 91: 400, 84: 300, 166: 300, 158: 200, 117: 200}),
    ("delta9-THC", "C21H30O2", "1972-08-3", "Cannabinoid",
     {299: 999, 314: 850, 231: 800, 271: 400, 243: 400, 258: 200, 193: 200, 295: 100}),
    ("Caffeine", "C8H10N4O2", "58-08-2", "Cutting agent",
     {194: 999, 109: 550, 67: 300, 55: 250, 82: 200, 42: 200, 193: 100, 195: 100, 165: 50, 137: 50}),
    ("Levamisole", "C11H12N2S", "14769-73-4", "Cutting agent",
     {204: 999, 148: 500, 101: 450, 73: 400, 203: 400, 77: 150, 117: 150, 205: 150, 172: 100}),
    ("Lidocaine", "C14H22N2O", "137-58-6", "Cutting agent",
     {86: 999, 58: 100, 87: 60, 234: 30, 72: 30, 120: 30, 77: 20, 91: 20}),
    ("Phenacetin", "C10H13NO2", "62-44-2", "Cutting agent",
     {108: 999, 179: 500, 137: 400, 109: 350, 43: 200, 80: 150, 81: 100, 53: 80, 65: 60}),
    ("Benzocaine", "C9H11NO2", "94-09-7", "Cutting agent",
     {120: 999, 165: 450, 92: 300, 65: 200, 137: 100, 121: 100, 39: 80, 63: 50}),
    ("Paracetamol", "C8H9NO2", "103-90-2", "Cutting agent",
     {109: 999, 151: 450, 43: 250, 80: 150, 108: 150, 81: 120, 53: 80}),
    # the n-alkane series CnH2n+1 falling off above 57, a weak molecular ion;
    # an n-alkane's retention index is 100 x its carbon number by definition
    ("n-Tetracosane", "C24H50", "646-31-1", "Internal standard",
     {57: 999, 43: 700, 71: 650, 85: 450, 99: 180, 113: 110, 127: 70, 141: 55, 155: 45,
      169: 35, 183: 30, 197: 25, 211: 20, 225: 18, 239: 15, 253: 12, 338: 20}),
]

# Retention indices that hold by definition (the n-alkanes), nothing else:
# the bundled spectra are illustrative, and an invented RI would be worse
# than none.
RI = {"n-Tetracosane": 2400}

# ESI(+) MS/MS: name, formula of M, CAS, class, CE, fragments [(ion formula, rel. abundance)]
MSMS = [
    ("Fentanyl", "C22H28N2O", "437-38-7", "Fentanyl analogue", "30 eV",
     [("C13H18N", 999), ("C8H9", 400), ("C9H12N", 50), ("C19H25N2", 60)]),
    ("Cocaine", "C17H21NO4", "50-36-2", "Cocaine", "30 eV",
     [("C10H16NO2", 999), ("C5H8N", 150), ("C7H5O", 100), ("C9H12NO", 50), ("C6H5", 30)]),
    ("MDMA", "C11H15NO2", "42542-10-9", "Amphetamine-type stimulant", "20 eV",
     [("C10H11O2", 999), ("C8H7O2", 400), ("C9H9O", 200), ("C8H9", 300), ("C6H5", 50)]),
    ("Methamphetamine", "C10H15N", "537-46-2", "Amphetamine-type stimulant", "20 eV",
     [("C7H7", 999), ("C9H11", 400), ("C5H5", 50)]),
    ("Ketamine", "C13H16ClNO", "6740-88-1", "Dissociative (arylcyclohexylamine)", "30 eV",
     [("C7H6Cl", 999), ("C12H12ClO", 400), ("C11H12Cl", 250), ("C13H15ClN", 150), ("C9H8Cl", 50)]),
    ("Heroin", "C21H23NO5", "561-27-3", "Opioid", "30 eV",
     [("C17H18NO2", 999), ("C19H22NO4", 400), ("C13H9O", 600), ("C13H11O2", 400)]),
    ("Mephedrone (4-MMC)", "C11H15NO", "1189805-46-6", "Synthetic cathinone", "20 eV",
     [("C11H14N", 999), ("C10H11N", 500), ("C9H11", 300), ("C8H9", 150)]),
    ("Alprazolam", "C17H13ClN4", "28981-97-7", "Benzodiazepine", "40 eV",
     [("C15H10ClN2", 999), ("C17H12N4", 350), ("C16H11ClN3", 300), ("C15H9N2", 150)]),
]

PROTON = MONO["H"] - ELECTRON
COMMENT = ("illustrative reconstruction from published characteristic ions, "
           "not a certified reference spectrum; confirm against certified reference material")


def ion_mz(formula):
    return mono(formula) - ELECTRON


def write_record(fp, fields, peaks, mz_fmt):
    for k, v in fields:
        fp.write(f"{k}: {v}\n")
    fp.write(f"Num Peaks: {len(peaks)}\n")
    for mz, inten in sorted(peaks):
        fp.write(f"{mz_fmt(mz)}\t{inten}\n")
    fp.write("\n")


def ei_fields(idx, name, formula, cas, cls):
    return [("Name", name), ("Formula", formula), ("MW", nominal(formula)),
            ("ExactMass", f"{mono(formula):.4f}"), ("CAS#", cas), ("Class", cls),
            ("DB#", f"NPSM-EI-{idx:04d}"), ("Ionization", "EI"), ("Spectrum_type", "MS"),
            ("Source", "npsmatch bundled library"), ("License", "CC0-1.0"),
            ("Comments", COMMENT)]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.dirname(here)
    with open(os.path.join(out, "library_ei.msp"), "w") as fp:
        for i, (name, formula, cas, cls, peaks) in enumerate(EI, 1):
            fields = ei_fields(i, name, formula, cas, cls)
            if name in RI:
                fields.insert(6, ("Retention_index", RI[name]))
            write_record(fp, fields, peaks.items(), lambda m: f"{m}")
    with open(os.path.join(out, "library_msms.msp"), "w") as fp:
        for i, (name, formula, cas, cls, ce, frags) in enumerate(MSMS, 1):
            prec = mono(formula) + PROTON
            peaks = [(round(ion_mz(f), 4), a) for f, a in frags] + [(round(prec, 4), 150)]
            fields = [("Name", name), ("Formula", formula), ("ExactMass", f"{mono(formula):.4f}"),
                      ("CAS#", cas), ("Class", cls), ("DB#", f"NPSM-MS2-{i:04d}"),
                      ("Precursor_type", "[M+H]+"), ("PrecursorMZ", f"{prec:.4f}"),
                      ("Ion_mode", "P"), ("Ionization", "ESI"), ("Spectrum_type", "MS2"),
                      ("Collision_energy", ce), ("Source", "npsmatch bundled library"),
                      ("License", "CC0-1.0"), ("Comments", COMMENT)]
            write_record(fp, fields, peaks, lambda m: f"{m:.4f}")
    write_unknowns(out)


def perturb_ei(peaks, rng, drop=1, noise=2):
    """A simulated re-measurement: intensities scaled by lognormal(0, 0.15), the
    weakest peaks possibly lost, and a few low background ions added."""
    items = sorted(peaks.items(), key=lambda kv: kv[1])
    kept = dict(items[drop:]) if len(items) > 6 else dict(items)
    outp = {}
    for mz, a in kept.items():
        outp[mz] = max(1, round(a * rng.lognormvariate(0, 0.15)))
    for _ in range(noise):
        mz = rng.randint(40, 200)
        outp.setdefault(mz, rng.randint(5, 25))
    base = max(outp.values())
    return {m: max(1, round(999 * a / base)) for m, a in outp.items()}


def write_unknowns(out):
    rng = random.Random(20261128)
    byname = {e[0]: e for e in EI}
    rows = []
    with open(os.path.join(out, "sample_unknowns.msp"), "w") as fp:
        n = 0
        for name in ["Methamphetamine", "MDMA", "Cocaine", "Heroin", "Fentanyl", "Alprazolam",
                     "JWH-018", "Mephedrone (4-MMC)", "Ketamine", "25I-NBOMe"]:
            n += 1
            peaks = perturb_ei(byname[name][4], rng)
            qid = f"SEIZURE-2026-{n:03d}"
            fields = [("Name", f"Unknown {n:03d} (seized powder, GC-MS)"), ("DB#", qid),
                      ("Ionization", "EI"), ("Comments", "demo unknown: simulated measurement")]
            write_record(fp, fields, peaks.items(), lambda m: f"{m}")
            rows.append((qid, "identity", name))
        # a mixture: cocaine cut with levamisole (a common adulterant), co-eluting
        n += 1
        mix = {}
        for m, a in byname["Cocaine"][4].items():
            mix[m] = mix.get(m, 0) + a
        for m, a in byname["Levamisole"][4].items():
            mix[m] = mix.get(m, 0) + 0.45 * a
        peaks = perturb_ei({m: round(a) for m, a in mix.items()}, rng, drop=0, noise=1)
        qid = f"SEIZURE-2026-{n:03d}"
        write_record(fp, [("Name", f"Unknown {n:03d} (mixture, GC-MS)"), ("DB#", qid),
                          ("Ionization", "EI"),
                          ("Comments", "demo unknown: cocaine with levamisole")],
                     peaks.items(), lambda m: f"{m}")
        rows.append((qid, "mixture", "Cocaine;Levamisole"))
        # an analogue absent from the library: 4-MEC (4-methylethcathinone), the
        # N-ethyl homologue of mephedrone (+CH2, +14 Da): iminium base peak 72
        n += 1
        mec = {72: 999, 44: 110, 119: 120, 91: 170, 65: 70, 70: 40, 56: 30, 42: 30, 89: 25,
               120: 15, 191: 8}
        peaks = perturb_ei(mec, rng, drop=0, noise=1)
        qid = f"SEIZURE-2026-{n:03d}"
        write_record(fp, [("Name", f"Unknown {n:03d} (tablet, GC-MS)"), ("DB#", qid),
                          ("Ionization", "EI"),
                          ("Comments", "demo unknown: 4-MEC, a cathinone not in the library")],
                     peaks.items(), lambda m: f"{m}")
        rows.append((qid, "analogue", "Synthetic cathinone"))
        # LC-MS/MS unknowns: fentanyl and cocaine, re-measured with m/z error
        for name in ["Fentanyl", "Cocaine"]:
            n += 1
            e = [m for m in MSMS if m[0] == name][0]
            prec = mono(e[1]) + PROTON
            peaks = []
            for f, a in e[5]:
                mz = ion_mz(f) * (1 + rng.gauss(0, 3e-6))
                peaks.append((round(mz, 4), max(1, round(a * rng.lognormvariate(0, 0.2)))))
            peaks.append((round(rng.uniform(60, 150), 4), 20))
            qid = f"SEIZURE-2026-{n:03d}"
            write_record(fp, [("Name", f"Unknown {n:03d} (LC-QTOF)"), ("DB#", qid),
                              ("PrecursorMZ", f"{prec * (1 + 2e-6):.4f}"),
                              ("Precursor_type", "[M+H]+"), ("Ionization", "ESI"),
                              ("Spectrum_type", "MS2"),
                              ("Comments", "demo unknown: simulated measurement")],
                         peaks, lambda m: f"{m:.4f}")
            rows.append((qid, "identity", name))
    with open(os.path.join(out, "sample_unknowns_expected.tsv"), "w") as fp:
        fp.write("query_id\tkind\texpected\n")
        for r in rows:
            fp.write("\t".join(r) + "\n")


if __name__ == "__main__":
    main()
