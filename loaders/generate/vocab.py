"""Words the generator draws from: people, companies, products, stages and activity texts.

A few names carry accents on purpose (Latin-1 letters), so that the ISO-8859-1 Salesforce Data
Export files and the UTF-8 reports really differ and loaders must read each in its own encoding.
"""

from __future__ import annotations

FIRST_NAMES = (
    "Aaron", "Abigail", "Adam", "Adrian", "Aisha", "Alan", "Alex", "Alice", "Amara", "Amelia",
    "Ana", "Andre", "Andrea", "Angela", "Anil", "Anna", "Arjun", "Ava", "Ben", "Bianca",
    "Björn", "Blake", "Brian", "Bruno", "Caleb", "Camila", "Carlos", "Carmen", "Chen", "Chloé",
    "Chris", "Claire", "Daniel", "Daria", "David", "Deepa", "Diego", "Dmitri", "Elena", "Eli",
    "Elif", "Emma", "Ethan", "Fatima", "Felix", "Fiona", "François", "Gabriel", "Grace", "Hana",
    "Hannah", "Hugo", "Ian", "Ines", "Isaac", "Ivy", "Jack", "Jacob", "James", "Jana",
    "Jasmine", "Javier", "Jin", "Joanna", "John", "Jonas", "José", "Julia", "Kai", "Karen",
    "Kenji", "Kevin", "Laila", "Laura", "Leo", "Liam", "Lina", "Lucas", "Lucy", "Maya",
    "Marco", "Maria", "Mark", "Mateo", "Mei", "Mia", "Michael", "Mohammed", "Nadia", "Naomi",
    "Nathan", "Nia", "Nikhil", "Noah", "Nora", "Olga", "Oliver", "Omar", "Paula", "Pedro",
    "Priya", "Rachel", "Rafael", "Renée", "Ricardo", "Rosa", "Ryan", "Sam", "Sara", "Sean",
    "Sofia", "Sophie", "Tariq", "Tess", "Thomas", "Tom", "Valentina", "Victor", "Wei", "Yara",
    "Yusuf", "Zara", "Zoë", "Zoran",
)

LAST_NAMES = (
    "Abbott", "Adeyemi", "Alvarez", "Andersen", "Bailey", "Banerjee", "Becker", "Bennett",
    "Brooks", "Campbell", "Carter", "Castillo", "Chan", "Chavez", "Cohen", "Collins", "Cruz",
    "Dang", "Davies", "Dubois", "Edwards", "Evans", "Fischer", "Fernández", "Flores", "Foster",
    "García", "Gomez", "Gonzalez", "Gray", "Green", "Gupta", "Hall", "Hansen", "Harris", "Hayes",
    "Hernandez", "Hill", "Hoffmann", "Hughes", "Ito", "Jackson", "Jensen", "Johnson", "Kato",
    "Kelly", "Khan", "Kim", "King", "Kowalski", "Kumar", "Larsen", "Lee", "Lewis", "Lopez",
    "Martin", "Mehta", "Mendoza", "Meyer", "Miller", "Moreau", "Morris", "Müller", "Murphy",
    "Nakamura", "Nguyen", "Novak", "Nuñez", "O'Brien", "Okafor", "Olsen", "Ortiz", "Park",
    "Patel", "Perez", "Peters", "Petrov", "Phillips", "Price", "Quinn", "Ramirez", "Reed",
    "Reyes", "Richter", "Rivera", "Roberts", "Rossi", "Russo", "Sanchez", "Sato", "Schmidt",
    "Schulz", "Scott", "Shah", "Silva", "Singh", "Smith", "Sørensen", "Stewart", "Suzuki",
    "Tanaka", "Taylor", "Thompson", "Torres", "Turner", "Vargas", "Walker", "Wang", "Ward",
    "Weber", "White", "Williams", "Wilson", "Wong", "Wright", "Yamamoto", "Young", "Zhang",
)

# Team names: segment + region ("Enterprise West", "Mid-Market East", ...).
SEGMENTS = (
    "Enterprise", "Mid-Market", "Commercial", "Strategic", "Growth", "SMB", "Public Sector",
    "Healthcare", "Financial Services", "Emerging",
)
REGIONS = (
    "West", "East", "Central", "North", "South", "Northeast", "Southeast", "Northwest",
    "Southwest", "EMEA", "UK & Ireland", "DACH", "Nordics", "Benelux", "France",
    "Southern Europe", "APAC", "ANZ", "Japan", "LATAM", "Mid-Atlantic", "Great Lakes",
    "Pacific Northwest", "Mountain", "Gulf",
)
LEADERSHIP_TEAM = "Sales Leadership"

ACCOUNT_PREFIXES = (
    "Acme", "Alder", "Alpine", "Apex", "Arbor", "Atlas", "Aurora", "Beacon", "Birch", "Blue Harbor",
    "Bluebird", "Boulder", "Brightwater", "Cascade", "Cedar", "Citadel", "Clearview", "Cobalt",
    "Copper", "Crescent", "Crown", "Café", "Delta", "Eastgate", "Ember", "Evergreen", "Falcon",
    "Fjord", "Foxglove", "Frontier", "Garnet", "Glacier", "Golden Gate", "Granite", "Harbor",
    "Helios", "Horizon", "Ironwood", "Juniper", "Keystone", "Lakeside", "Lighthouse", "Linden",
    "Maple", "Meridian", "Mesa", "Monarch", "Northwind", "Oakridge", "Orchid", "Pacific",
    "Pinnacle", "Pioneer", "Prairie", "Quantum", "Redwood", "Riverside", "Sequoia", "Silverline",
    "Société Nova", "Solstice", "Sterling", "Summit", "Sunrise", "Tidewater", "Titan", "Trident",
    "Union", "Vanguard", "Vertex", "Westbrook", "Willow", "Zenith", "Zürich Alpine",
)
ACCOUNT_NOUNS = (
    "Aerospace", "Analytics", "Apparel", "Automotive", "Bank", "Biotech", "Brewing", "Builders",
    "Capital", "Chemicals", "Clinics", "Cloud", "Communications", "Construction", "Consulting",
    "Dairy", "Data", "Design", "Devices", "Energy", "Engineering", "Farms", "Financial", "Foods",
    "Freight", "Games", "Health", "Hotels", "Industries", "Insurance", "Labs", "Learning",
    "Logistics", "Manufacturing", "Marine", "Media", "Medical", "Metals", "Mining", "Mobility",
    "Networks", "Outdoor", "Packaging", "Pharma", "Power", "Realty", "Retail", "Robotics",
    "Security", "Semiconductors", "Software", "Solar", "Sports", "Systems", "Telecom", "Textiles",
    "Transit", "Travel", "Utilities", "Water",
)
# Some suffixes hold a comma, so that quoting matters.
ACCOUNT_SUFFIXES = ("Inc.", ", Inc.", "LLC", "GmbH", "Ltd", "Group", "Co.", "S.A.", "Corp", "AG")

PRODUCTS = (
    "Platform", "Analytics Add-on", "Renewal", "Expansion", "Pilot", "Enterprise License",
    "Support Upgrade", "Data Migration", "Seats Expansion", "Security Suite", "Onboarding Package",
    "Multi-year Renewal",
)

# Salesforce: label, probability (%), default forecast category label. Open stages first.
SF_STAGES = (
    ("Prospecting", 10, "Pipeline"),
    ("Qualification", 20, "Pipeline"),
    ("Needs Analysis", 40, "Pipeline"),
    ("Proposal/Price Quote", 75, "Best Case"),
    ("Negotiation/Review", 90, "Commit"),
    ("Closed Won", 100, "Closed"),
    ("Closed Lost", 0, "Omitted"),
)
SF_FORECAST = ("Pipeline", "Best Case", "Commit", "Closed", "Omitted")

# HubSpot: label as the portal spells it (two with a stray trailing space), probability fraction,
# default forecast category.
HS_STAGES = (
    ("Appointment Scheduled", 0.2, "Pipeline"),
    ("Qualified To Buy", 0.4, "Pipeline"),
    ("Presentation Scheduled", 0.6, "Best case"),
    ("Decision Maker Bought-In ", 0.8, "Commit"),
    ("Contract Sent ", 0.9, "Commit"),
    ("Closed Won", 1.0, "Closed won"),
    ("Closed Lost", 0.0, "Omit"),
)
HS_FORECAST = ("Pipeline", "Best case", "Commit", "Closed won", "Omit")
HS_PIPELINE = "Sales Pipeline"

OPEN_STAGES = 5  # stage codes 0..4 are open; 5 won; 6 lost
WON, LOST = 5, 6
# Forecast category codes, shared by both sources (index into SF_FORECAST / HS_FORECAST).
FC_PIPELINE, FC_BEST_CASE, FC_COMMIT, FC_CLOSED, FC_OMITTED = range(5)
STAGE_DEFAULT_FC = (FC_PIPELINE, FC_PIPELINE, FC_PIPELINE, FC_BEST_CASE, FC_COMMIT, FC_CLOSED,
                    FC_OMITTED)

SF_TYPES = ("New Customer", "Existing Customer - Upgrade", "Existing Customer - Replacement",
            "Existing Customer - Downgrade")
HS_TYPES = ("New Business", "Existing Business")
LEAD_SOURCES = ("Web", "Partner Referral", "Phone Inquiry", "Purchased List", "Employee Referral",
                "Trade Show", "Other")

# Next steps by open stage; one starts with "-" as reps type it (a formula-like cell).
NEXT_STEPS = (
    ("Book discovery call", "Research org chart", "Intro email to VP Sales", "Find champion"),
    ("Confirm budget and timeline", "Discovery call w/ IT", "Map decision process",
     "Send case study"),
    ("Demo for ops team", "Technical deep dive with SE", "Gather requirements doc",
     "Schedule exec sponsor call"),
    ("Send proposal v2", "Pricing review with CFO", "- send MSA redlines", "Security questionnaire"),
    ("Legal review of MSA", "Final pricing approval", "Procurement sign-off", "Signature by Friday"),
)

TASK_SUBJECTS = {
    "call": ("Call", "Discovery call", "Follow-up call", "Pricing call", "Check-in call"),
    "email": ("Email: Follow up", "Email: Proposal", "Email: Re: Next steps", "Email: Intro",
              "Email: Contract redlines"),
    "other": ("Update opportunity", "Prepare proposal", "Send contract", "Internal review"),
}
MEETING_SUBJECTS = ("Demo", "Discovery meeting", "Technical deep dive", "Pricing review",
                    "Exec alignment", "Onsite workshop")
CALL_OUTCOMES = ("Connected", "Left voicemail", "No answer", "Busy", "Wrong number")
MEETING_OUTCOMES = ("Completed", "No show", "Rescheduled", "Canceled", "Scheduled")

# Enablement programs: name, type, required, assigned (days relative to quarter start, or
# None = at hire), days allowed before due.
PROGRAMS = (
    ("Security & Compliance Annual", "Course", True, -30, 30),
    ("Product Launch Readiness", "Course", True, 7, 28),
    ("MEDDICC Foundations", "Certification", True, None, 60),
    ("Discovery Skills Assessment", "Assessment", True, 14, 21),
    ("Negotiation Essentials", "Course", False, -60, 90),
    ("Product Knowledge Quiz", "Assessment", False, -14, 60),
)
CALL_SCORE_PROGRAMS = ("Call Review - Discovery", "Call Review - Demo", "Call Review - Negotiation")
