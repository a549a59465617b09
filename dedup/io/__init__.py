"""Reading documents from files and streams, and writing outputs atomically."""
