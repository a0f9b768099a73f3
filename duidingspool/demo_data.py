"""The demo data itself: public geography of Oost-Nederland and invented people.

Safety regions and municipalities are public data (CBS municipality codes as of 2026,
approximate centre coordinates). Every person below is invented; every e-mail address uses
the reserved example.org domain.
"""

from __future__ import annotations

from dataclasses import dataclass

# Shared by every demo login; long enough for the password policy (12 characters).
DEMO_PASSWORD = "duidingspool-demo"
DEMO_URL = "http://127.0.0.1:5000"
BUDGET_AMOUNT = "125000.00"  # the 2019 figure of the source documents
BUDGET_KM_RATE = "0.23"

SAFETY_REGIONS = [
    ("VR04", "IJsselland"),
    ("VR05", "Twente"),
    ("VR06", "Noord- en Oost-Gelderland"),
    ("VR07", "Gelderland-Midden"),
    ("VR08", "Gelderland-Zuid"),
]

# (CBS code, name, latitude, longitude) per safety region code.
MUNICIPALITIES: dict[str, list[tuple[str, str, str, str]]] = {
    "VR04": [
        ("GM0148", "Dalfsen", "52.51060", "6.25830"),
        ("GM0150", "Deventer", "52.25500", "6.16360"),
        ("GM0160", "Hardenberg", "52.57560", "6.61940"),
        ("GM0166", "Kampen", "52.55500", "5.91110"),
        ("GM1773", "Olst-Wijhe", "52.36000", "6.13000"),
        ("GM0175", "Ommen", "52.52110", "6.42060"),
        ("GM0177", "Raalte", "52.38610", "6.27500"),
        ("GM0180", "Staphorst", "52.64500", "6.21110"),
        ("GM1708", "Steenwijkerland", "52.78750", "6.11940"),
        ("GM1896", "Zwartewaterland", "52.59170", "6.09440"),
        ("GM0193", "Zwolle", "52.51680", "6.08300"),
    ],
    "VR05": [
        ("GM0141", "Almelo", "52.35670", "6.66250"),
        ("GM0147", "Borne", "52.29940", "6.75250"),
        ("GM1774", "Dinkelland", "52.37500", "6.96670"),
        ("GM0153", "Enschede", "52.22150", "6.89370"),
        ("GM0158", "Haaksbergen", "52.15640", "6.73890"),
        ("GM0163", "Hellendoorn", "52.36000", "6.46000"),
        ("GM0164", "Hengelo", "52.26580", "6.79310"),
        ("GM1735", "Hof van Twente", "52.23330", "6.58330"),
        ("GM0168", "Losser", "52.26080", "7.00420"),
        ("GM0173", "Oldenzaal", "52.31330", "6.92920"),
        ("GM1742", "Rijssen-Holten", "52.30830", "6.51670"),
        ("GM0183", "Tubbergen", "52.40670", "6.78420"),
        ("GM1700", "Twenterand", "52.40860", "6.62220"),
        ("GM0189", "Wierden", "52.35920", "6.59310"),
    ],
    "VR06": [
        ("GM0197", "Aalten", "51.92500", "6.58060"),
        ("GM0200", "Apeldoorn", "52.21120", "5.96990"),
        ("GM1859", "Berkelland", "52.10000", "6.51670"),
        ("GM1876", "Bronckhorst", "52.05000", "6.30000"),
        ("GM0213", "Brummen", "52.09000", "6.15560"),
        ("GM0222", "Doetinchem", "51.96500", "6.28890"),
        ("GM0230", "Elburg", "52.44860", "5.83330"),
        ("GM0232", "Epe", "52.34750", "5.98330"),
        ("GM0233", "Ermelo", "52.29860", "5.62220"),
        ("GM0243", "Harderwijk", "52.34170", "5.62080"),
        ("GM0244", "Hattem", "52.47500", "6.06250"),
        ("GM0246", "Heerde", "52.38690", "6.04110"),
        ("GM0262", "Lochem", "52.15920", "6.41110"),
        ("GM1955", "Montferland", "51.91670", "6.16670"),
        ("GM0302", "Nunspeet", "52.37890", "5.78610"),
        ("GM0269", "Oldebroek", "52.44500", "5.90000"),
        ("GM1586", "Oost Gelre", "52.00000", "6.61670"),
        ("GM1509", "Oude IJsselstreek", "51.88330", "6.38330"),
        ("GM0273", "Putten", "52.25940", "5.60690"),
        ("GM0285", "Voorst", "52.23640", "6.10280"),
        ("GM0294", "Winterswijk", "51.97250", "6.71940"),
        ("GM0301", "Zutphen", "52.13830", "6.20140"),
    ],
    # Renswoude lies in the province of Utrecht but belongs to this safety region.
    "VR07": [
        ("GM0202", "Arnhem", "51.98510", "5.89870"),
        ("GM0203", "Barneveld", "52.14000", "5.58470"),
        ("GM0221", "Doesburg", "52.01250", "6.13890"),
        ("GM0226", "Duiven", "51.94720", "6.01390"),
        ("GM0228", "Ede", "52.04020", "5.66490"),
        ("GM0267", "Nijkerk", "52.22000", "5.48610"),
        ("GM1734", "Overbetuwe", "51.91920", "5.84860"),
        ("GM0274", "Renkum", "51.97720", "5.73330"),
        ("GM0339", "Renswoude", "52.07420", "5.54030"),
        ("GM0275", "Rheden", "52.01000", "6.03000"),
        ("GM0277", "Rozendaal", "52.00500", "5.96250"),
        ("GM0279", "Scherpenzeel", "52.08000", "5.48890"),
        ("GM0289", "Wageningen", "51.96920", "5.66530"),
        ("GM0293", "Westervoort", "51.95610", "5.97220"),
        ("GM0299", "Zevenaar", "51.93000", "6.07080"),
    ],
    "VR08": [
        ("GM1945", "Berg en Dal", "51.80000", "5.93000"),
        ("GM0209", "Beuningen", "51.86080", "5.76670"),
        ("GM0214", "Buren", "51.91000", "5.33330"),
        ("GM0216", "Culemborg", "51.95500", "5.22780"),
        ("GM0225", "Druten", "51.88830", "5.60560"),
        ("GM0252", "Heumen", "51.78000", "5.85000"),
        ("GM1705", "Lingewaard", "51.90000", "5.93000"),
        ("GM0263", "Maasdriel", "51.77000", "5.33500"),
        ("GM1740", "Neder-Betuwe", "51.93000", "5.58000"),
        ("GM0268", "Nijmegen", "51.84260", "5.85280"),
        ("GM0281", "Tiel", "51.88670", "5.42920"),
        ("GM1960", "West Betuwe", "51.88000", "5.29000"),
        ("GM0668", "West Maas en Waal", "51.88000", "5.51000"),
        ("GM0296", "Wijchen", "51.80920", "5.72500"),
        ("GM0297", "Zaltbommel", "51.81000", "5.25000"),
    ],
}

# (code, Dutch name, English name): the taxonomy of SPEC section 3.
EXPERTISE_AREAS = [
    ("jihadism", "Jihadisme", "Jihadism"),
    ("right-wing-extremism", "Rechts-extremisme", "Right-wing extremism"),
    ("left-wing-extremism", "Links-extremisme", "Left-wing extremism"),
    ("anti-government-extremism", "Anti-institutioneel extremisme", "Anti-government extremism"),
    ("islamic-theology", "Islamitische theologie", "Islamic theology"),
    ("online-radicalisation", "Online radicalisering", "Online radicalisation"),
    ("returnees-travellers", "Terugkeerders en uitreizigers", "Returnees and travellers"),
    ("mental-health", "Psychische problematiek en radicalisering",
     "Mental health and radicalisation"),
    ("family-network", "Familie- en netwerkondersteuning", "Family and network support"),
    ("polarisation", "Polarisatie", "Polarisation"),
]


@dataclass(frozen=True)
class DemoCaseTable:
    name: str
    host_organisation: str
    host_cbs_code: str
    address: str
    contact_email: str
    rrule: str
    start_hour: int  # local Europe/Amsterdam wall-clock time
    duration_minutes: int
    region_code: str  # every municipality of this safety region takes part


CASE_TABLES = [
    DemoCaseTable(
        name="Casustafel Twente", host_organisation="Veiligheidshuis Twente",
        host_cbs_code="GM0153", address="Veiligheidshuis Twente, Enschede",
        contact_email="casustafel.twente@example.org", rrule="FREQ=MONTHLY;BYDAY=2TU",
        start_hour=13, duration_minutes=120, region_code="VR05",
    ),
    DemoCaseTable(
        name="Casustafel Arnhem", host_organisation="Gemeente Arnhem / Veiligheidshuis",
        host_cbs_code="GM0202", address="Veiligheidshuis, Arnhem",
        contact_email="casustafel.arnhem@example.org", rrule="FREQ=WEEKLY;BYDAY=TH",
        start_hour=10, duration_minutes=120, region_code="VR07",
    ),
]


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    roles: tuple[str, ...]
    cbs_code: str | None = None  # the requester's municipality


STAFF = [
    DemoUser("coordinator@example.org", "Lotte Brinkhorst", ("coordinator",)),
    DemoUser("beheer@example.org", "Ruben Scheltinga", ("admin",)),
    DemoUser("casustafel.twente@example.org", "Sanne Oude Wesselink", ("requester",), "GM0153"),
    DemoUser("casustafel.arnhem@example.org", "Mehmet Doğan-Verbeek", ("requester",), "GM0202"),
    DemoUser("veiligheid.hengelo@example.org", "Bram ter Horst", ("requester",), "GM0164"),
    DemoUser("veiligheid.almelo@example.org", "Noor Kamphuis", ("requester",), "GM0141"),
    DemoUser("veiligheid.ede@example.org", "Esther van Beek", ("requester",), "GM0228"),
]


@dataclass(frozen=True)
class DemoExpert:
    email: str
    name: str
    home_cbs_code: str
    areas: dict[str, int]  # expertise code -> level 1-3
    languages: tuple[str, ...]
    hourly_rate: str
    max_travel_km: int
    max_hours_per_month: int
    # (weekday 0 = Monday, "HH:MM", "HH:MM") in local time
    windows: tuple[tuple[int, str, str], ...]
    conflicts: tuple[str, ...] = ()  # CBS codes of municipalities not to serve
    vog_lapses_soon: bool = False  # VOG expires within 60 days of the demo being loaded


EXPERTS = [
    DemoExpert("yasmina.elkhatib@example.org", "Yasmina El Khatib", "GM0202",
               {"jihadism": 3, "islamic-theology": 2, "returnees-travellers": 2},
               ("nl", "ar", "en"), "125.00", 80, 24,
               ((1, "09:00", "17:00"), (3, "09:00", "17:00")), conflicts=("GM0202",)),
    DemoExpert("pieterjan.oosterhuis@example.org", "Pieter-Jan Oosterhuis", "GM0193",
               {"right-wing-extremism": 3, "anti-government-extremism": 2,
                "online-radicalisation": 2},
               ("nl", "en"), "110.00", 120, 20,
               ((0, "09:00", "17:30"), (1, "12:00", "17:00"))),
    DemoExpert("fatma.yildirim@example.org", "Fatma Yıldırım-de Boer", "GM0153",
               {"polarisation": 3, "family-network": 2, "jihadism": 1},
               ("nl", "tr", "en"), "95.00", 60, 16,
               ((1, "08:30", "16:30"), (3, "09:00", "13:00"))),
    DemoExpert("hamza.warsame@example.org", "Hamza Warsame", "GM0268",
               {"returnees-travellers": 3, "jihadism": 2, "family-network": 2},
               ("nl", "so", "en", "ar"), "115.00", 100, 24,
               ((1, "09:00", "17:00"), (3, "09:00", "17:00"), (4, "09:00", "12:00"))),
    DemoExpert("senait.tesfaye@example.org", "Senait Tesfaye", "GM0200",
               {"family-network": 3, "mental-health": 1, "polarisation": 2},
               ("nl", "ti", "en"), "85.00", 90, 12,
               ((2, "09:00", "15:00"), (3, "09:00", "15:00")), vog_lapses_soon=True),
    DemoExpert("marloes.hendriksen@example.org", "Marloes Hendriksen", "GM0150",
               {"left-wing-extremism": 3, "anti-government-extremism": 3, "polarisation": 1},
               ("nl", "en", "de"), "120.00", 150, 20,
               ((1, "09:00", "17:00"), (2, "09:00", "17:00"))),
    DemoExpert("jeroen.wiegerinck@example.org", "Jeroen Wiegerinck", "GM0164",
               {"mental-health": 3, "online-radicalisation": 1},
               ("nl", "en"), "140.00", 70, 16,
               ((1, "10:00", "16:00"), (3, "10:00", "16:00")), conflicts=("GM0164",)),
    DemoExpert("anouk.verhoeven@example.org", "Anouk Verhoeven", "GM0228",
               {"polarisation": 2, "family-network": 2, "right-wing-extremism": 1},
               ("nl", "en"), "90.00", 80, 20,
               ((0, "09:00", "17:00"), (3, "09:00", "17:00"))),
    DemoExpert("driss.amrani@example.org", "Driss Amrani", "GM0141",
               {"islamic-theology": 3, "jihadism": 2, "online-radicalisation": 1},
               ("nl", "ar", "en"), "130.00", 120, 24,
               ((1, "09:00", "17:00"), (4, "09:00", "17:00"))),
    DemoExpert("ingrid.schepers@example.org", "Ingrid Schepers", "GM0222",
               {"online-radicalisation": 3, "right-wing-extremism": 2,
                "anti-government-extremism": 1},
               ("nl", "en", "de"), "105.00", 100, 20,
               ((1, "09:00", "17:00"), (3, "08:00", "12:30"))),
    DemoExpert("koen.lammers@example.org", "Koen Lammers", "GM0301",
               {"returnees-travellers": 2, "mental-health": 2, "jihadism": 1},
               ("nl", "en"), "100.00", 110, 16,
               ((2, "09:00", "17:00"), (3, "09:00", "17:00"))),
    DemoExpert("nadia.karimi@example.org", "Nadia Karimi", "GM0281",
               {"polarisation": 2, "islamic-theology": 1, "family-network": 3},
               ("nl", "fa", "en"), "95.00", 90, 12,
               ((1, "13:00", "17:00"), (3, "09:00", "17:00")), conflicts=("GM0281",)),
]


# --- the lived year: what the pool's requests were about -------------------------------------

# The spent share of the budget the demo's history aims at on the day it runs (the band the
# dashboard should show is 55-80 %), and of the previous year when that one is built too
# (a finished year: most of the budget used). See demo.py, "The lived year".
SPENT_SHARE = "0.67"
PREVIOUS_YEAR_SPENT_SHARE = "0.90"


@dataclass(frozen=True)
class DemoCase:
    """A kind of question a case table brings to the pool; invented, without personal data."""

    areas: dict[str, int]  # expertise code -> minimum level
    question: str
    estimated_hours: str
    mode: str = "in_person"
    language: str | None = None
    urgency: str = "normal"


CASES = [
    DemoCase({"jihadism": 2},
             "Een jongvolwassene deelt berichten van een jihadistische groepering en zoekt "
             "contact met gelijkgezinden. Is dit provocatie of een ideologische ontwikkeling, "
             "en welke signalen zijn zorgelijk?", "4"),
    DemoCase({"polarisation": 2},
             "Na een incident lopen de spanningen tussen twee groepen jongeren in een wijk op. "
             "Hoe duiden we de polarisatie en wat kan de gemeente doen?", "3"),
    DemoCase({"family-network": 2},
             "Ouders maken zich zorgen over hun zoon, die zich terugtrekt en nieuwe religieuze "
             "contacten heeft. Hoe kan het netwerk worden betrokken?", "3", mode="online"),
    DemoCase({"right-wing-extremism": 2, "online-radicalisation": 1},
             "Een scholier deelt memes uit extreemrechtse online subculturen. Hoe ernstig zijn "
             "deze signalen en welke aanpak past bij deze leeftijd?", "3", mode="online"),
    DemoCase({"returnees-travellers": 2},
             "De terugkeer van een vrouw uit een conflictgebied wordt verwacht. Welke risico's "
             "en beschermende factoren spelen bij de re-integratie?", "4", urgency="high"),
    DemoCase({"mental-health": 2},
             "Psychische kwetsbaarheid en radicale uitingen lopen door elkaar. Welke rol spelen "
             "de klachten, en wie moet in de aanpak aan tafel?", "3"),
    DemoCase({"islamic-theology": 2},
             "Iemand beroept zich op religieuze bronnen om geweld te rechtvaardigen. Welke "
             "theologische duiding helpt de casustafel in het gesprek?", "3", mode="online"),
    DemoCase({"anti-government-extremism": 2},
             "Een inwoner verspreidt soevereinistische standpunten en weigert elk contact met "
             "de gemeente. Wat betekenen deze signalen en hoe leggen we contact?", "3",
             mode="online"),
    DemoCase({"online-radicalisation": 2},
             "Een minderjarige is actief in besloten chatgroepen met gewelddadige content. Hoe "
             "schatten we het risico in en wat vragen we aan school en ouders?", "3",
             mode="online", urgency="high"),
    DemoCase({"family-network": 1, "polarisation": 1},
             "Een gezin voelt zich na maatschappelijke onrust buitengesloten; een van de "
             "kinderen uit zich steeds feller. Hoe versterken we het netwerk?", "3"),
    DemoCase({"left-wing-extremism": 2},
             "Actievoerders kondigen harde acties aan tegen een bedrijf in de regio. Wanneer "
             "gaat activisme over in extremisme?", "3", mode="online"),
    DemoCase({"jihadism": 1, "returnees-travellers": 1},
             "Een jongere had contact met een uitreiziger en vraagt naar reismogelijkheden. "
             "Welke duiding en welke vervolgstappen zijn nodig?", "4", language="ar",
             mode="online", urgency="urgent"),
]

# Reasons used in the history (reasons reach other people, so they hold no personal data).
DECLINE_REASON = "Die dag al elders ingepland."
ILLNESS_REASON = "De deskundige is ziek gemeld; de casustafel krijgt een vervanger."
REQUESTER_CANCEL_REASON = "De casus is eerder dan gepland afgesloten."
NO_CANDIDATE_REASON = "Geen deskundige beschikbaar; de casus is zonder duiding besproken."
# Prefix of the case codes per case table (pseudonymous codes of the case tables themselves).
CASE_CODE_PREFIX = {"Casustafel Twente": "TW", "Casustafel Arnhem": "AR"}

# The demo's one complaint (results): about a late arrival, answered by the expert.
COMPLAINT_TEXT = "De specialist kwam twintig minuten te laat; de bespreking begon zonder duiding."
COMPLAINT_ANSWER = "Door een storing op het spoor was ik later; ik had de voorzitter gebeld."
