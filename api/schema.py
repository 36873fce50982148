"""The schema's OpenAPI links (drf-spectacular has no way to write them on a view): a rating
received can be read back by its id, which lets a stateful test chain the two."""

from __future__ import annotations


def add_links(result, generator, request, public):
    created = result.get("paths", {}).get("/api/v1/ratings/", {}).get("post", {})
    answer = created.get("responses", {}).get("201")
    if answer is not None:
        answer["links"] = {
            "ReadRating": {
                "operationId": "ratings_retrieve",
                "parameters": {"rating_id": "$response.body#/rating_id"},
                "description": "The rating just received, by its id.",
            }
        }
    return result
