"""Tagging rules: whole words ignoring case, CJK anywhere, optional company; applied at ingest
and again by `tags apply` over stored articles without their files (#12)."""
from __future__ import annotations

from pathlib import Path

import pytest

from dashboard import cli, store
from dashboard.ingest import ParseError
from dashboard.ingest.pipeline import ingest_paths
from dashboard.ingest.tagrules import parse_rules
from dashboard.store.articles import query_articles
from dashboard.store.events import query_events

NEWS = Path(__file__).parent / "fixtures" / "news"

RULES = parse_rules('''
[[rule]]
tag = "Pentagon list"
any = ["1260H", "Chinese military company"]
company = "alibaba"

[[rule]]
tag = "Cloud"
any = ["cloud computing", "云计算"]
''')


@pytest.mark.parametrize("text, companies, expected", [
    ("Added to the 1260h list", {"alibaba"}, [("Pentagon list", "rule: Pentagon list")]),
    ("named a CHINESE MILITARY COMPANY", {"alibaba"}, [("Pentagon list", "rule: Pentagon list")]),
    ("Added to the 1260H list", {"tencent"}, []),          # the rule is for Alibaba only
    ("code X1260Hb is not the list", {"alibaba"}, []),     # whole words only
    ("阿里云计算业务增长", set(), [("Cloud", "rule: Cloud")]),  # CJK: anywhere
    ("Cloud Computing grows; 1260H too", {"alibaba"},
     [("Pentagon list", "rule: Pentagon list"), ("Cloud", "rule: Cloud")]),
    ("cloud computer", set(), []),
])
def test_rule_tags(text, companies, expected):
    assert RULES.rule_tags([text], companies) == expected


@pytest.mark.parametrize("text, message", [
    ('[[rule]]\nany = ["x"]\n', "tags.toml: rule[0].tag: missing"),
    ('[[rule]]\ntag = "T"\nany = []\n', "tags.toml: rule[0].any: expected a non-empty list of terms"),
    ('[[rule]]\ntag = "T"\nany = ["x"]\nwhen = 1\n', "tags.toml: rule[0]: unknown keys when (known: tag, any, company)"),
    ("[[rule]\n", "tags.toml: toml: "),
])
def test_bad_rules_file(text, message):
    with pytest.raises(ParseError) as caught:
        parse_rules(text)
    assert caught.value.message.startswith(message)


def test_rules_apply_at_ingest_and_tags_apply_adds_new_ones_without_files(tmp_path, capsys):
    db = tmp_path / "rules.duckdb"
    copied = tmp_path / "yahoo.json"
    copied.write_bytes((NEWS / "yahoo_nested.json").read_bytes())
    ingest_paths(db, [copied], companies_file=NEWS / "companies.toml", sources_file=None,
                 tags_file=None)
    with store.reader(db) as con:
        assert list(query_articles(con)["tags"].iloc[0]) == []
    copied.unlink()  # `tags apply` must not need the file
    rules = tmp_path / "tags.toml"
    rules.write_text('[[rule]]\ntag = "Pentagon list"\nany = ["1260H"]\ncompany = "alibaba"\n',
                     encoding="utf-8")
    assert cli.main(["tags", "apply", "--db", str(db), "--tags", str(rules)]) == 0
    assert "1 tag(s) added to 1 article(s)" in capsys.readouterr().out
    with store.reader(db) as con:
        article = query_articles(con, tags=["pentagon list"])
        events = query_events(con, tags=["Pentagon list"])
    assert list(article["title"]) == ["Pentagon weighs adding more names to its 1260H list"]
    assert len(events) == 1  # its publication event carries the tag too
    assert cli.main(["tags", "apply", "--db", str(db), "--tags", str(rules)]) == 0
    assert "0 tag(s) added to 0 article(s)" in capsys.readouterr().out
    # Ingesting the same file again with the rules is "unchanged": same tags, same content hash.
    copied.write_bytes((NEWS / "yahoo_nested.json").read_bytes())
    report = ingest_paths(db, [copied], companies_file=NEWS / "companies.toml", sources_file=None,
                          tags_file=rules)
    assert (report.articles.added, report.articles.updated, report.articles.unchanged) == (0, 0, 1)
