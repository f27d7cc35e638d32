"""Reading export files into text columns, and parsing whole columns of text into values.

Nothing here knows a particular CRM; import from the module for the concern:

* ``tables``: CSV/XLSX files to a ``RawTable`` (header, junk lines, line numbers); ``encodings``
  decides the text encoding.
* ``columns``: header normalisation, ``Distinct`` values of a column, ``Parsed`` results.
* ``amounts``: money, plain numbers, probabilities, durations.
* ``dates``: dates and day/month order.
* ``categories``: yes/no, forecast categories, mapped labels.
* ``errors``: ``LoadError``.

Salesforce ids (15 to 18 characters) are read in ``loaders.formats.salesforce.ids``.
"""
