"""Django's Redis cache backend, with one Redis client per connection pool.

Django builds a new ``redis.Redis`` object for every cache call, which costs
more than the call itself (about 60 µs against 20 µs for a GET, measured on
a 2-core server), and a learner page makes several: the session, the content
and learner versions, the cached outline. A client holds no connection of its
own and is safe to share between threads, so one per pool is enough.

Django 5.2 offers no supported way to do this: its documented ``OPTIONS``
(``pool_class``, ``parser_class``, ``serializer`` and the connection pool's own
arguments) shape the pool, while the client is still built anew on every call
and its class cannot be chosen. Django's ticket #35651 is about reusing them.
Until Django does, this subclasses the backend's undocumented parts
(``RedisCacheClient``, ``_get_connection_pool``, ``_client``, ``_class``):
tests/test_operations.py, where Redis answers, fails if an upgrade changes them.
"""

from django.core.cache.backends import redis


class PooledRedisCacheClient(redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = PooledRedisCacheClient
