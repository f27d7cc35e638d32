"""Salesforce exports: opportunity and activity reports, and the weekly Data Export.

* ``report``: reports exported from Salesforce (human headers, possibly translated): opportunities,
  field history, stage history, tasks and events.
* ``data_export``: the Data Export's object files (``Opportunity.csv``, ``OpportunityHistory.csv``,
  ``Task.csv``, ``Event.csv``; API names as headers).
* ``lookups``: ``User.csv``, ``Account.csv`` and ``CurrencyType.csv``, read beside those files.
* ``bundle``: the Data Export as delivered, a ZIP or its folder (``read_bundle``).
* ``ids``: record ids (15 and 18 characters, the empty id).

Nothing is imported here, so ``loaders.formats.base`` can use ``ids`` without a cycle.
"""
