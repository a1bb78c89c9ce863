"""`compose` reads with libyaml when PyYAML has it, and with the pure-Python parser
otherwise or when the text is refused: the same nodes and lines either way, and the
pure-Python parser's wording for errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from setsmart.config.yamlsource import YamlSyntaxError, compose

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TEXTS = [
    *(path.read_text() for path in sorted(EXAMPLES.glob("*.yaml"))),
    "base: &b {port: 1883}\nmqtt:\n  <<: *b\n  host: 'x'\n",
    "devices:\n  - {id: a, dps: {state: '1', power: null}}\n  - id: b\n    version: 3.4\n",
    "key: |\n  two\n  lines\nother: ~\nn: 0x1F\nf: 1e3\nt: yes\n",
]


def _tree(node: yaml.Node | None) -> object:
    if node is None:
        return None
    line = node.start_mark.line
    if isinstance(node, yaml.MappingNode):
        return (node.tag, line, [(_tree(k), _tree(v)) for k, v in node.value])
    if isinstance(node, yaml.SequenceNode):
        return (node.tag, line, [_tree(item) for item in node.value])
    return (node.tag, line, node.value)


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML here was built without libyaml")
@pytest.mark.parametrize("text", TEXTS)
def test_libyaml_composes_what_the_pure_python_parser_does(text: str) -> None:
    document = compose(text)
    assert isinstance(document.loader, yaml.CSafeLoader)
    assert _tree(document.root) == _tree(yaml.SafeLoader(text).get_single_node())


def test_a_refused_text_is_described_in_the_pure_python_parser_s_words() -> None:
    with pytest.raises(YamlSyntaxError) as caught:
        compose("mqtt:\n  host: a\n   port: 1\n")
    assert (caught.value.line, caught.value.message) == (3, "mapping values are not allowed here")
