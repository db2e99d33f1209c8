"""Nova's image proxy through openstacksdk's compute proxy.

Run by openstacksdk.test.ts like lifecycle.py. compute.images() lists /images/detail and
compute.get_image() shows one; both are nova's Glance proxy. Prints one JSON document.
"""
import json

import openstack

conn = openstack.connect()
glance = conn.image.find_image("cirros-0.6.2-x86_64-disk", ignore_missing=False)
listed = {i.id: i for i in conn.compute.images()}
shown = conn.compute.get_image(glance.id)
print(json.dumps({
    "listed": glance.id in listed,
    "status": shown.status,
    "name": shown.name,
    "size": shown.size,
}))
