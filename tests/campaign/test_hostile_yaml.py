"""YAML that tries to run code, explode, or overwhelm is refused, with a clear message."""

from __future__ import annotations

from pathlib import Path

from clarion.campaign import yamlsafe
from tests.conftest import HEAD, Run, only


def test_python_tag_is_refused_and_nothing_runs(run: Run, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = HEAD + f'name2: !!python/object/apply:os.system ["touch {marker}"]\n'
    p = only(run(text))
    assert "The YAML tag `!!python/object/apply:os.system` is not allowed" in p.message
    assert (p.line, p.column) == (6, 8)
    assert not marker.exists()


def test_custom_tag_is_refused(run: Run) -> None:
    p = only(run(HEAD + "posts: !include other.yaml\n"))
    assert "`!include` is not allowed" in p.message


def test_alias_bomb_is_refused_without_expanding(run: Run) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    p = only(run(HEAD + "\n".join(lines) + "\n"))
    assert "has more than 200,000 values" in p.message


def test_recursive_alias_is_refused(run: Run) -> None:
    p = only(run(HEAD + "loop: &x [*x]\n"))
    assert "refers to the value that contains it" in p.message


def test_file_over_one_mebibyte_is_refused(run: Run) -> None:
    p = only(run(HEAD + "# " + "x" * (1024 * 1024) + "\n"))
    assert "campaign files can be at most 1,048,576 bytes (1 MiB)" in p.message
    assert (p.line, p.column) == (1, 1)


def test_not_yaml_points_at_the_problem(run: Run) -> None:
    p = only(run(HEAD + "posts: [\n"))
    assert p.message.startswith("The file is not valid YAML here")
    assert p.line == 7


def test_not_utf8(tmp_path: Path) -> None:
    from clarion.checking import check_files

    path = tmp_path / "latin1.yaml"
    path.write_bytes(HEAD.encode() + "name2: caf\xe9\n".encode("latin-1"))
    p = only(check_files([path], ["latin1.yaml"]))
    assert "not UTF-8" in p.message and p.line == 6


def test_duplicate_key_is_an_error(run: Run) -> None:
    p = only(run(HEAD + "name: Again\n"))
    assert "`name` is written twice" in p.message
    assert (p.line, p.column) == (6, 1)


def test_merge_keys_are_refused(run: Run) -> None:
    p = only(run(HEAD + "base: &b {text: hi}\nother:\n  <<: *b\n"))
    assert "Merge keys" in p.message


def test_loader_is_the_safe_c_loader_when_available() -> None:
    import yaml

    assert (
        issubclass(yamlsafe._Loader, yaml.SafeLoader) or yamlsafe._Loader.__name__ == "CSafeLoader"
    )


def test_sixty_thousand_problems_print_two_hundred_and_a_count(tmp_path: Path) -> None:
    """A file with thousands of unknown fields names the first 200 and says how many more."""
    from click.testing import CliRunner

    from clarion.cli import cli

    fields = "\n".join(f"  field{n}: x" for n in range(1000))
    week = tmp_path / "week.yaml"
    week.write_text(
        "version: 1\nname: Week\ntimezone: Europe/London\n"
        "dates: {start: 2030-07-04, end: 2030-07-09}\nplatforms: [mastodon]\n"
        f"posts:\n- day: 1\n  time: '09:00'\n  text: Hello\n{fields}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["validate", str(week)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert sum(1 for line in lines if line.startswith(f"{week}:") and "field" in line) == 200
    assert "… and 800 more problems" in result.output
    assert "1000 problems in 1 of 1 file" in result.output.replace(",", "")
