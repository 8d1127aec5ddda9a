"""``ClientOrderIdGenerator`` alone, then the exchange's ids against its order tracker."""
import unittest
from unittest.mock import patch

from hummingbot.connector.exchange.backpack.backpack_client_order_ids import ClientOrderIdGenerator

from .exchange_test_support import ExchangeTestCase


class GeneratorTests(unittest.TestCase):
    def test_skips_taken_and_recent_ids(self):
        draws = iter([4, 4, 8, 4, 1])
        generator = ClientOrderIdGenerator(is_taken=lambda candidate: candidate == "9",
                                           randbelow=lambda n: next(draws))
        self.assertEqual("5", generator.new_id())   # 4 → "5"
        self.assertEqual("2", generator.new_id())   # "5" again is recent, "9" is taken, then 4 → "5" recent, 1 → "2"

    def test_recent_ids_are_bounded(self):
        draws = iter([0, 1, 0])
        generator = ClientOrderIdGenerator(is_taken=lambda _: False, randbelow=lambda n: next(draws))
        generator.RECENT_CLIENT_IDS_KEPT = 1
        self.assertEqual(["1", "2", "1"], [generator.new_id() for _ in range(3)])  # "1" forgotten after "2"

    def test_ids_are_uint32_decimals(self):
        seen = []
        generator = ClientOrderIdGenerator(is_taken=lambda _: False, randbelow=lambda n: seen.append(n) or n - 1)
        self.assertEqual(str(0xFFFFFFFF), generator.new_id())
        self.assertEqual([0xFFFFFFFF], seen)


class ExchangeIdsTests(ExchangeTestCase):
    def test_client_order_ids_are_unique_uint32_decimals(self):
        ids = {self.exchange._new_client_order_id() for _ in range(2000)}
        self.assertEqual(2000, len(ids))
        for client_id in ids:
            self.assertTrue(client_id.isdigit())
            self.assertTrue(1 <= int(client_id) <= 0xFFFFFFFF)

    def test_client_order_id_skips_tracked_ids(self):
        self.track(client_order_id="5")
        with patch("hummingbot.connector.exchange.backpack.backpack_client_order_ids.secrets.randbelow",
                   side_effect=[4, 4, 8]):
            self.assertEqual("9", self.exchange._new_client_order_id())
