"""True/false: a single choice between True and False, always listed in that order."""

from assessments.kinds.single import SingleChoice


class TrueFalse(SingleChoice):
    name = "true_false"
    label = "True/false"

    def order_choices(self, choices, *, rng, shuffle):
        return choices


KIND = TrueFalse()
