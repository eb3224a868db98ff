import unittest

from textstats import average_word_length, top_words, word_count, words


class TestWords(unittest.TestCase):
    def setUp(self):
        self.text = "The cat and the hat."

    def test_words_are_lower_case(self):
        self.assertEqual(words(self.text), ["the", "cat", "and", "the", "hat"])

    def test_apostrophes_are_kept(self):
        self.assertEqual(words("Don't stop"), ["don't", "stop"])

    def test_word_count(self):
        self.assertEqual(word_count(self.text), 5)

    def test_empty_text_has_no_words(self):
        self.assertEqual(word_count(""), 0)


class TestTopWords(unittest.TestCase):
    def test_most_common_first(self):
        self.assertEqual(top_words("b a b c b a", 2), [("b", 3), ("a", 2)])

    def test_ties_are_alphabetical(self):
        self.assertEqual(top_words("z y x", 3), [("x", 1), ("y", 1), ("z", 1)])

    def test_average_word_length(self):
        self.assertAlmostEqual(average_word_length("ab abcd"), 3.0)

    def test_average_of_nothing_raises(self):
        with self.assertRaises(ValueError):
            average_word_length("...")


if __name__ == "__main__":
    unittest.main()
