def test_the_demo_publishes_a_signed_tree_head_over_all_its_documents(shkoder, client):
    from sportel import demo
    from sportel.documents.models import SignedTreeHead
    from sportel.documents.translog import size

    demo.seed_all()
    assert size() > 0, "the demo issues instant certificates"
    latest = SignedTreeHead.objects.order_by("-tree_size").first()
    assert latest is not None and latest.tree_size == size()
    page = client.get("/transparency/?format=json").json()
    assert page["latest"]["tree_size"] == size()
