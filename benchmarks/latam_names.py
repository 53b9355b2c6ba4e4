"""A second, independent generator of Latin-American identities for linkage benchmarks (not tipnet.link.synth).

Its own name pools and its own corruption model, applied independently per record: two surnames (paternal,
maternal) with particles and compound surnames ("Ponce de León", "Sánchez-Cerro") written joined, hyphenated or
split, particles dropped, the maternal surname dropped or the two swapped, given and family fields swapped,
nicknames, the second given name dropped, accents lost, upper case, keyboard typos, birth dates missing, off by a
year or with day and month swapped, places missing. Persons come in families (siblings share both surnames and the
town; twins also the birth date), which land in either country as hard negatives.

    python benchmarks/latam_names.py --n 20000   # blocking recall of tipnet's encodings on it
"""

from __future__ import annotations

import argparse
import json
import time
import unicodedata
from datetime import date, timedelta

import numpy as np

GIVEN_F = ("María", "Ana", "Lucía", "Guadalupe", "Rosa", "Carmen", "Isabel", "Sofía", "Valeria", "Camila", "Ximena",
           "Daniela", "Fernanda", "Juana", "Dolores", "Concepción", "Beatriz", "Inés", "Mónica", "Paola", "Yesenia",
           "Marisol", "Araceli", "Gabriela", "Luz", "Esperanza", "Graciela", "Patricia", "Adriana", "Noemí")
GIVEN_M = ("José", "Juan", "Luis", "Carlos", "Jesús", "Miguel", "Francisco", "Jorge", "Pedro", "Manuel", "Alejandro",
           "Ramón", "Andrés", "Sebastián", "Mateo", "Santiago", "Héctor", "Raúl", "Óscar", "Víctor", "Ignacio",
           "Rodrigo", "Emilio", "Tomás", "Joaquín", "Fabián", "Efraín", "Wilmer", "Édgar", "Nelson")
NICK = {"José": "Pepe", "Francisco": "Pancho", "Guadalupe": "Lupe", "Jesús": "Chucho", "Concepción": "Conchita",
        "Dolores": "Lola", "Ignacio": "Nacho", "Manuel": "Manolo", "Alejandro": "Alex", "Isabel": "Chabela",
        "Rosa": "Rosita", "Luis": "Lucho", "Santiago": "Chago", "Ramón": "Moncho", "Juana": "Juanita"}
SURNAMES = ("García", "Hernández", "López", "Martínez", "González", "Rodríguez", "Pérez", "Sánchez", "Ramírez",
            "Flores", "Gómez", "Díaz", "Cruz", "Morales", "Reyes", "Gutiérrez", "Ortiz", "Chávez", "Ruiz", "Jiménez",
            "Mendoza", "Vásquez", "Castillo", "Romero", "Herrera", "Medina", "Aguilar", "Vargas", "Quispe", "Mamani",
            "Huamán", "Choque", "Condori", "Ccori", "Ticona", "Núñez", "Salazar", "Ibáñez", "Zúñiga", "Peña",
            "Espinoza", "Cárdenas", "Valenzuela", "Benítez", "Acuña", "Sepúlveda", "Villalobos", "Carrasco")
COMPOUND = ("Ponce de León", "Pérez de Cuéllar", "Sánchez-Cerro", "Fernández de Córdoba", "Montes de Oca",
            "de la Cruz", "del Castillo", "de los Santos", "de la Fuente", "Díaz-Canel", "San Martín", "Villa-Lobos")
PLACES = ("Lima", "Cusco", "Arequipa", "La Paz", "El Alto", "Cochabamba", "Quito", "Guayaquil", "Bogotá", "Cali",
          "Medellín", "Tegucigalpa", "San Pedro Sula", "Guatemala", "Quetzaltenango", "San Salvador", "Managua",
          "Tapachula", "Ciudad Juárez", "Tijuana", "Oaxaca", "Puebla", "Asunción", "Santa Cruz", "Iquitos")
PARTICLES = ("de la ", "de los ", "del ", "de ")
KEYS = "qwertyuiop asdfghjkl zxcvbnm"


def _plain(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")


def _typo(rng: np.random.Generator, word: str) -> str:
    if len(word) < 3:
        return word
    i = int(rng.integers(1, len(word) - 1))
    kind = int(rng.integers(4))
    if kind == 0:  # neighbouring key
        row = next((r for r in KEYS.split() if word[i].lower() in r), "")
        j = row.find(word[i].lower())
        if j < 0:
            return word
        return word[:i] + row[max(0, min(len(row) - 1, j + int(rng.choice((-1, 1)))))] + word[i + 1:]
    if kind == 1:
        return word[:i] + word[i + 1:]  # dropped letter
    if kind == 2:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]  # transposed
    return word[:i] + word[i] + word[i:]  # doubled


def _surname(rng: np.random.Generator) -> str:
    return str(rng.choice(COMPOUND)) if rng.random() < 0.08 else str(rng.choice(SURNAMES))


def _family(rng: np.random.Generator, serial: int) -> list[dict]:
    paternal, maternal, town = _surname(rng), _surname(rng), str(rng.choice(PLACES))
    born = date(1960, 1, 1) + timedelta(days=int(rng.integers(0, 365 * 60)))
    out = []
    for k in range(int(rng.choice((1, 1, 2, 3, 4)))):
        female = bool(rng.random() < 0.5)
        pool = GIVEN_F if female else GIVEN_M
        given = [str(rng.choice(pool))] + ([str(rng.choice(pool))] if rng.random() < 0.5 else [])
        twin = k > 0 and rng.random() < 0.1
        dob = out[-1]["dob"] if twin else born + timedelta(days=int(rng.integers(-4000, 4000)))
        out.append({"key": f"P{serial}-{k}", "given": given, "family": [paternal, maternal], "sex": "F" if female
                    else "M", "dob": dob, "place": town})
    return out


def _compound(rng: np.random.Generator, s: str) -> str:
    u = rng.random()
    if " " in s or "-" in s:
        if u < 0.15:
            return s.replace(" ", "").replace("-", "")  # joined
        if u < 0.3:
            return s.replace("-", " ")
        if u < 0.45:
            for p in PARTICLES:
                s = s.replace(p, "")
            return s.replace("-", " ")  # particle dropped
    return s


def render(rng: np.random.Generator, p: dict) -> dict[str, str]:
    given = list(p["given"])
    if len(given) > 1 and rng.random() < 0.35:
        given = given[:1]
    if given[0] in NICK and rng.random() < 0.12:
        given[0] = NICK[given[0]]
    family = [_compound(rng, s) for s in p["family"]]
    if rng.random() < 0.2:
        family = family[:1]
    elif rng.random() < 0.05:
        family = family[::-1]
    g, f = " ".join(given), " ".join(family)
    if rng.random() < 0.15:
        g = " ".join(_typo(rng, w) if rng.random() < 0.6 else w for w in g.split())
    if rng.random() < 0.15:
        f = " ".join(_typo(rng, w) if rng.random() < 0.6 else w for w in f.split())
    if rng.random() < 0.04:
        g, f = f, g
    if rng.random() < 0.5:
        g, f = _plain(g), _plain(f)
    if rng.random() < 0.3:
        g, f = g.upper(), f.upper()
    d: date | None = p["dob"]
    u = rng.random()
    if u < 0.15:
        d = None
    elif u < 0.2 and d is not None:
        d = d.replace(year=d.year + int(rng.choice((-1, 1))), day=min(d.day, 28))
    elif u < 0.24 and d is not None and d.day <= 12:
        d = d.replace(month=d.day, day=d.month)
    place = "" if rng.random() < 0.15 else (p["place"] if rng.random() < 0.8 else _plain(p["place"]))
    return {"given_names": g, "family_names": f, "birth_date": d.isoformat() if d else "", "sex": p["sex"]
            if rng.random() > 0.03 else "", "place_of_birth": place}


def generate(n: int, seed: int = 7, countries: tuple[str, str] = ("AAA", "BBB"), overlap: float = 0.5
             ) -> dict[str, dict[str, list[str]]]:
    """``n`` records per country, ``round(overlap * n)`` persons in both; columns as tipnet.link.synth.COLUMNS."""
    rng = np.random.Generator(np.random.PCG64(seed))
    shared = round(overlap * n)
    need = shared + 2 * (n - shared)
    persons: list[dict] = []
    while len(persons) < need:
        persons.extend(_family(rng, len(persons)))
    order = rng.permutation(len(persons))[:need]
    persons = [persons[i] for i in order]
    both, rest = persons[:shared], persons[shared:]
    out: dict[str, dict[str, list[str]]] = {}
    for c, own in zip(countries, (rest[:n - shared], rest[n - shared:]), strict=True):
        people = [both[i] for i in rng.permutation(len(both))] + own
        cols: dict[str, list[str]] = {k: [] for k in ("record_id", "given_names", "family_names", "birth_date",
                                                       "sex", "place_of_birth", "person_key")}
        for j, p in enumerate(people):
            rec = render(rng, p) | {"record_id": f"{c}-{j + 1:07d}", "person_key": p["key"]}
            for k, v in rec.items():
                cols[k].append(v)
        out[c] = cols
    return out


def main() -> None:
    from tipnet.link.diagnose import truth_index_pairs
    from tipnet.link.encode import encode_records
    from tipnet.link.keys import PseudonymKey
    from tipnet.link.match import MatchSettings, candidate_pairs
    from tipnet.link.schema import person_schema

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    data = generate(args.n, args.seed)
    a, b = data["AAA"], data["BBB"]
    person = {r: k for c in (a, b) for r, k in zip(c["record_id"], c["person_key"], strict=True)}
    truth = truth_index_pairs(a["record_id"], b["record_id"], person)
    t = time.perf_counter()
    sets = [encode_records(data[c], data[c]["record_id"], person_schema(True), b"benchmark-shared-secret" * 2,
                           PseudonymKey.from_secret(b"own-key-" + c.encode() * 8, c), c) for c in ("AAA", "BBB")]
    enc = time.perf_counter() - t
    t = time.perf_counter()
    ia, ib, st = candidate_pairs(sets[0], sets[1], MatchSettings().max_block_pairs)
    got = set(zip(ia.tolist(), ib.tolist(), strict=True))
    print(json.dumps({"bench": "latam_blocking", "n": args.n, "true_pairs": len(truth),
                      "blocking_recall": round(len(truth & got) / max(len(truth), 1), 4),
                      "candidate_pairs": len(got), "blocks_searched": st.get("blocks_searched", 0),
                      "blocks_skipped": st["blocks_skipped"], "encode_seconds": round(enc, 1),
                      "block_seconds": round(time.perf_counter() - t, 1)}))


if __name__ == "__main__":
    main()
