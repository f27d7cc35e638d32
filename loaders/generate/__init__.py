"""The seeded demo-data generator behind ``teamcar generate``.

One event history per deal (created, stage moves, amount changes, close-date pushes and pull-ins,
owner changes, won or lost, deleted) is drawn once and rendered into every file: weekly Salesforce
report and HubSpot deal snapshots, weekly Salesforce Task/Event and HubSpot call/email/meeting
exports, a roster with a re-org, quotas, an LMS enablement export, and ``_truth/`` (the event log
and the parameters), all in the shapes of FORMATS.md.

    from loaders.generate import generate, GenerateParams
    summary = generate(Path("out"), GenerateParams(reps=24, seed=7))
"""

from loaders.generate.core import GenerateParams, GenerateSummary, generate

__all__ = ["GenerateParams", "GenerateSummary", "generate"]
