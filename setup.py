"""Package layout that pyproject.toml cannot say: the top-level ``notebooks/`` folder
ships inside the wheel as ``optwidgets/lessons`` (DESIGN.md keeps the lessons at the top
of the repository; an installed kit still needs them for ``optwidgets lab``)."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["optwidgets", "optwidgets.*"]), "optwidgets.lessons"],
    package_dir={"optwidgets.lessons": "notebooks"},
)
