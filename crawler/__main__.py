"""Entry point for `python -m crawler <command>`."""

from crawler.cli import main

if __name__ == "__main__":
    main()
