"""``ClientOrderIdGenerator`` alone, then the exchange's ids against its order tracker."""
import unittest

from hummingbot.connector.exchange.backpack.backpack_client_order_ids import ClientOrderIdGenerator, parse_instance_tag
from hummingbot.connector.exchange.backpack.backpack_exchange import BackpackExchange

from .exchange_test_support import API_KEY, API_SECRET, ExchangeTestCase

TAG = 5 << 20   # ids of instance tag 5


class GeneratorTests(unittest.TestCase):
    def test_ids_carry_the_instance_tag_and_count_from_a_random_start(self):
        draws = iter([4, 7])   # tag 4 + 1, counter start 7
        generator = ClientOrderIdGenerator(is_taken=lambda _: False, randbelow=lambda n: next(draws))
        self.assertEqual(5, generator.instance_tag)
        self.assertEqual([str(TAG | 7), str(TAG | 8)], [generator.new_id(), generator.new_id()])
        self.assertEqual(5, ClientOrderIdGenerator.instance_tag_of(TAG | 8))

    def test_skips_taken_and_recent_ids(self):
        generator = ClientOrderIdGenerator(is_taken=lambda candidate: candidate == str(TAG | 1),
                                           randbelow=lambda n: 0, instance_tag=5)
        self.assertEqual([str(TAG | 0), str(TAG | 2)], [generator.new_id(), generator.new_id()])

    def test_counter_wraps_inside_the_tag_and_recent_ids_are_bounded(self):
        generator = ClientOrderIdGenerator(is_taken=lambda _: False, randbelow=lambda n: n - 1, instance_tag=5)
        generator.RECENT_CLIENT_IDS_KEPT = 1
        self.assertEqual([str(TAG | 0xFFFFF), str(TAG | 0)], [generator.new_id(), generator.new_id()])

    def test_ids_are_uint32_decimals_and_tags_bounded(self):
        generator = ClientOrderIdGenerator(is_taken=lambda _: False, randbelow=lambda n: n - 1)
        self.assertEqual(str(0xFFFFFFFF), generator.new_id())
        for bad in (0, 4096):
            with self.assertRaises(ValueError):
                ClientOrderIdGenerator(is_taken=lambda _: False, instance_tag=bad)

    def test_two_instances_with_different_tags_never_share_an_id(self):
        a = ClientOrderIdGenerator(is_taken=lambda _: False, randbelow=lambda n: 0, instance_tag=1)
        b = ClientOrderIdGenerator(is_taken=lambda _: False, randbelow=lambda n: 0, instance_tag=2)
        self.assertFalse({a.new_id() for _ in range(5000)} & {b.new_id() for _ in range(5000)})


class InstanceTagSettingTests(unittest.TestCase):
    def test_blank_means_random_and_integers_in_range_are_kept(self):
        for blank in (None, "", "  "):
            self.assertIsNone(parse_instance_tag(blank))
        for value, tag in ((1, 1), (4095, 4095), ("17", 17), (" 42 ", 42)):
            self.assertEqual(tag, parse_instance_tag(value))

    def test_anything_else_fails_with_the_setting_and_range_named(self):
        for bad in (0, 4096, -1, "0", "abc", "1.5", 1.5, True, "-3", [5]):
            with self.assertRaisesRegex(ValueError, r"backpack_instance_tag must be an integer in 1\.\.4095"):
                parse_instance_tag(bad)

    def test_a_given_tag_is_stable_and_marks_its_client_ids(self):
        stable = ClientOrderIdGenerator(is_taken=lambda _: False, instance_tag=5)
        self.assertTrue(stable.stable_tag)
        self.assertFalse(ClientOrderIdGenerator(is_taken=lambda _: False).stable_tag)
        self.assertTrue(stable.is_ours(stable.new_id()))
        self.assertTrue(stable.is_ours(TAG | 3) and stable.is_ours(str(TAG)))
        for other in (6 << 20, (5 << 20) - 1, 1 << 32, -1, None, "x", 1.5):
            self.assertFalse(stable.is_ours(other))

    def test_the_exchange_uses_the_setting_and_rejects_bad_values_at_construction(self):
        exchange = BackpackExchange(backpack_api_key=API_KEY, backpack_api_secret=API_SECRET,
                                    trading_pairs=["SOL-USDC"], backpack_instance_tag="77")
        self.assertEqual(77, exchange._client_order_ids.instance_tag)
        self.assertEqual(77, int(exchange._new_client_order_id()) >> 20)
        self.assertTrue(exchange._orphan_sweep.enabled)
        self.assertFalse(BackpackExchange(backpack_api_key=API_KEY, backpack_api_secret=API_SECRET,
                                          backpack_instance_tag="")._orphan_sweep.enabled)
        for bad in (0, 4096, "seven"):
            with self.assertRaisesRegex(ValueError, "backpack_instance_tag"):
                BackpackExchange(backpack_api_key=API_KEY, backpack_api_secret=API_SECRET, backpack_instance_tag=bad)


class ExchangeIdsTests(ExchangeTestCase):
    def test_client_order_ids_are_unique_uint32_decimals_of_one_tag(self):
        ids = {self.exchange._new_client_order_id() for _ in range(2000)}
        self.assertEqual(2000, len(ids))
        for client_id in ids:
            self.assertTrue(client_id.isdigit())
            self.assertTrue(1 <= int(client_id) <= 0xFFFFFFFF)
        self.assertEqual({self.exchange._client_order_ids.instance_tag},
                         {ClientOrderIdGenerator.instance_tag_of(int(i)) for i in ids})

    def test_client_order_id_skips_tracked_ids(self):
        generator = self.exchange._client_order_ids
        upcoming = str((generator.instance_tag << 20) | generator._next)
        self.track(client_order_id=upcoming)
        self.assertNotEqual(upcoming, self.exchange._new_client_order_id())
