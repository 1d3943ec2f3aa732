"""Coach: a chat-bot that coaches small-business owners on social media."""
