"""The policy frameworks that question banks are tagged against.

Pure data (no framework imports): the VNG levensdomeinen, the four LIA principles, the
Movisie *Stappenplan Inclusief Beleid*, the VNG *routekaart Lokale Inclusie Agenda* and the
articles of the UN Convention on the Rights of Persons with Disabilities (CRPD) that matter
most to a municipality. Labels are Dutch because they are shown to users and in reports.
"""

from __future__ import annotations

from typing import Final

LEVENSDOMEINEN: Final[dict[str, str]] = {
    "onderwijs": "Onderwijs & ontwikkeling",
    "thuis": "Thuis (wonen)",
    "werk_inkomen": "Werk & inkomen",
    "vrije_tijd": "Vrije tijd",
    "vervoer": "Vervoer",
    "welzijn": "Welzijn, gezondheid & ondersteuning",
}

PRINCIPLES: Final[dict[str, str]] = {
    "gelijkheid": "Gelijkheid",
    "solidariteit": "Solidariteit",
    "autonomie": "Autonomie",
    "participatie": "Participatie",
}

MOVISIE_STEPS: Final[dict[int, str]] = {
    1: "Verken wat er speelt",
    2: "Agendeer en creëer draagvlak",
    3: "Visieontwikkeling",
    4: "Stel een werkgroep samen",
    5: "Betrek partners en inwoners",
    6: "Ontwikkel en voer beleid uit",
    7: "Evalueer en zorg voor borging",
}

ROUTEKAART_STEPS: Final[dict[int, str]] = {
    1: "Agendeer het thema",
    2: "Organiseer ervaringsdeskundigheid",
    3: "Werk samen met partners",
    4: "Bepaal de lokale koers",
    5: "Breng focus aan",
    6: "Kies een integrale aanpak",
    7: "Investeer in communicatie",
    8: "Zorg voor een goede organisatie",
    9: "Ga aan de slag",
    10: "Borg en monitor",
    11: "Geef het goede voorbeeld",
}

#: CRPD articles that every set of banks must cover (``quickscan banks coverage``).
CRPD_ARTICLES: Final[dict[str, str]] = {
    "4.3": "Betrekken van mensen met een beperking",
    "5": "Gelijkheid en non-discriminatie",
    "8": "Bewustwording",
    "9": "Toegankelijkheid",
    "11": "Risicosituaties en noodsituaties",
    "16": "Geen uitbuiting, geweld en misbruik",
    "19": "Zelfstandig wonen en deel uitmaken van de maatschappij",
    "20": "Persoonlijke mobiliteit",
    "21": "Informatie en communicatie",
    "24": "Onderwijs",
    "25": "Gezondheid",
    "26": "Habilitatie en revalidatie",
    "27": "Werk en werkgelegenheid",
    "28": "Behoorlijke levensstandaard en sociale bescherming",
    "29": "Participatie in politiek en openbaar leven",
    "30": "Cultuur, recreatie, vrije tijd en sport",
    "31": "Statistieken en het verzamelen van gegevens",
    "33.3": "Betrekken van het maatschappelijk middenveld bij toezicht",
}

GROUPS: Final[dict[str, str]] = {
    "handicap": "Mensen met een beperking",
    "leeftijd": "Leeftijd",
    "herkomst": "Herkomst",
    "gender": "Gender",
    "seksuele_orientatie": "Seksuele oriëntatie",
    "inkomen": "Inkomen",
    "religie": "Religie",
    "laaggeletterdheid": "Laaggeletterdheid",
}

#: The cross-cutting dimensions a department can be compared on, by tag name.
DIMENSIONS: Final[dict[str, str]] = {
    "movisie": "Stappen Movisie",
    "routekaart": "Stappen VNG-routekaart",
    "principles": "LIA-principes",
    "levensdomein": "Levensdomeinen",
}


def dimension_labels(dimension: str) -> dict[str, str]:
    """Return the Dutch labels of one cross-cutting dimension, keyed as strings.

    Raises KeyError for an unknown dimension.
    """
    if dimension == "movisie":
        return {str(key): value for key, value in MOVISIE_STEPS.items()}
    if dimension == "routekaart":
        return {str(key): value for key, value in ROUTEKAART_STEPS.items()}
    if dimension == "principles":
        return dict(PRINCIPLES)
    if dimension == "levensdomein":
        return dict(LEVENSDOMEINEN)
    raise KeyError(dimension)
