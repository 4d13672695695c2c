"""Date formats of the portal's language where Django's differ from Russian usage."""
