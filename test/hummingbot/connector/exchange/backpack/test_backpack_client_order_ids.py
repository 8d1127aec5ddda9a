"""``ClientOrderIdGenerator`` alone, then the exchange's ids against its order tracker."""
import unittest

from hummingbot.connector.exchange.backpack.backpack_client_order_ids import ClientOrderIdGenerator

from .exchange_test_support import ExchangeTestCase

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
