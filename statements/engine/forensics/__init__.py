"""Statement forensics: signals read from the file itself and from its
table, each a pure function in ``signals``, weighed into a 0-100 risk
score with its reasons (``codes`` holds the weights and the score bands,
``templates`` the known shape of each provider format).

The evidence comes from the pypdfium2 pages the parser already opened
(``pdffacts.page_facts`` runs inside ``pdftext.page_words``) and a scan of
the file's bytes: one pass, no second PDF library. No Django here.

    score.assess(parsed, summary, transactions, rules) -> list[Reason]
    score.risk_score(reasons) -> int
"""
