"""A link to a post is recognised from its address, whatever form the app shared it in."""

from __future__ import annotations

import pytest

from bot.feeds.links import recognise_post_link

SAME_POST = {
    "instagram": (
        "https://www.instagram.com/p/DBx3kLmN4pQ/",
        [
            "https://www.instagram.com/p/DBx3kLmN4pQ/?igsh=MWQ1ZGUxMzBkMA==",
            "instagram.com/reel/DBx3kLmN4pQ",
            "https://instagram.com/boulangerie.dupain/p/DBx3kLmN4pQ/?img_index=2",
        ],
    ),
    "facebook": (
        "https://www.facebook.com/permalink.php?story_fbid=pfbid02abc&id=100063",
        ["https://m.facebook.com/story.php?story_fbid=pfbid02abc&id=100063&mibextid=Nif5oz"],
    ),
    "linkedin": (
        "https://www.linkedin.com/feed/update/urn:li:activity:7265432109876543210/",
        [
            "https://www.linkedin.com/posts/smith-advisory_cash-flow-tips-activity-7265432109876543210-AbCd"
            "?utm_source=share&utm_medium=member_desktop",
            "https://www.linkedin.com/feed/update/urn:li:activity:7265432109876543210",
        ],
    ),
    "tiktok": (
        "https://www.tiktok.com/@garagemartin/video/7441234567890123456",
        ["https://www.tiktok.com/@GarageMartin/video/7441234567890123456?is_from_webapp=1&sender_device=pc"],
    ),
    "x": (
        "https://x.com/i/status/1859876543210987654",
        [
            "https://twitter.com/smithadvisory/status/1859876543210987654?s=46&t=abc",
            "https://mobile.twitter.com/smithadvisory/status/1859876543210987654",
            "https://x.com/smithadvisory/status/1859876543210987654/photo/1",
        ],
    ),
    "threads": (
        "https://www.threads.net/@atelierlumen/post/DCa1b2C3d4E",
        ["https://www.threads.com/@AtelierLumen/post/DCa1b2C3d4E?xmt=AQGz"],
    ),
    "youtube": (
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        [
            "https://youtu.be/dQw4w9WgXcQ?si=Xy12",
            "https://m.youtube.com/watch?v=dQw4w9WgXcQ&feature=share",
            "https://www.youtube.com/shorts/dQw4w9WgXcQ",
        ],
    ),
    "pinterest": (
        "https://www.pinterest.com/pin/1234567890123/",
        ["https://fr.pinterest.com/pin/1234567890123/"],
    ),
    "bluesky": (
        "https://bsky.app/profile/fleurs-rose.bsky.social/post/3lbq2k4xg2c2a",
        ["https://bsky.app/profile/Fleurs-Rose.bsky.social/post/3lbq2k4xg2c2a"],
    ),
    "mastodon": (
        "https://mastodon.social/@atelierlumen/113529410012345678",
        ["https://mastodon.social/@AtelierLumen/113529410012345678"],
    ),
}


@pytest.mark.parametrize("network", sorted(SAME_POST))
def test_every_form_of_a_post_link_comes_to_one_address(network: str) -> None:
    canonical, forms = SAME_POST[network]
    assert recognise_post_link(canonical) == (network, canonical)
    for form in forms:
        assert recognise_post_link(form) == (network, canonical), form


def test_a_link_inside_a_sentence_or_a_forwarded_message() -> None:
    text = "Regardez mon dernier post : https://www.instagram.com/p/DBx3kLmN4pQ/?igsh=abc !"
    assert recognise_post_link(text) == ("instagram", "https://www.instagram.com/p/DBx3kLmN4pQ/")
    forwarded = "Garage Martin\nChanger ses plaquettes (https://youtu.be/dQw4w9WgXcQ)."
    assert recognise_post_link(forwarded) == ("youtube", "https://www.youtube.com/watch?v=dQw4w9WgXcQ")


@pytest.mark.parametrize(
    "text",
    [
        "https://www.instagram.com/boulangerie.dupain/",
        "https://www.facebook.com/BoulangerieDupain",
        "https://www.linkedin.com/in/jane-smith/",
        "https://www.tiktok.com/@garagemartin",
        "https://x.com/smithadvisory",
        "https://www.youtube.com/@garagemartin",
        "https://boulangerie-dupain.example/2026/11/20/galette-des-rois/",
        "javascript://www.instagram.com/p/DBx3kLmN4pQ/",
        "J'ai publié sur Instagram ce matin",
        "3 posts, 2 réponses",
        "",
    ],
)
def test_profiles_other_sites_and_words_are_not_posts(text: str) -> None:
    assert recognise_post_link(text) is None
