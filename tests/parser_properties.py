"""One Hypothesis profile for the property tests of parsers of outside input.

200 examples a property in a thorough run, a quarter of that by default
(tests/examples.py; ``SOVTUI_PARSER_EXAMPLES`` sets the count), no deadline (a slow CI machine is not a bug), and no
example database: several test runs share the tree, and a failing example is
printed in full anyway.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.examples import examples

EXAMPLES = int(os.environ.get("SOVTUI_PARSER_EXAMPLES", examples(200)))

PARSERS = settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

#: Characters as outside text can hold them: any code point (lone surrogates included, which JSON's
#: ``\\ud800`` and a C-locale terminal can both deliver), with controls and surrogates drawn often.
hostile_chars = st.one_of(
    st.characters(exclude_categories=()),
    st.characters(max_codepoint=0x9F),
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
    st.sampled_from("\u202e\u2066\u2028\ufeff\x1b\x9b\x00"),
)
hostile_text = st.text(hostile_chars)
