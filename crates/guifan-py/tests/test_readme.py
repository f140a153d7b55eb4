"""README's "Python and Spark" section, run as written (from the repository's root)."""

import os
import re

from conftest import ROOT


def test_the_readme_decides_a_record_in_three_lines(capsys):
    text = (ROOT / "README.md").read_text("utf-8")
    section = text.split("## Python and Spark", 1)[1].split("\n## ", 1)[0]
    first = re.findall(r"```python\n(.*?)```", section, re.S)[0]
    assert len(first.strip().splitlines()) == 3
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        exec(compile(first, "README.md", "exec"), {})
    finally:
        os.chdir(cwd)
    printed = capsys.readouterr().out
    assert "'subject': 'dy-e1'" in printed and "top_up_deposit" in printed
