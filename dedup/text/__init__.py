"""Text processing for matching: normalization, paragraph segmentation, shingling."""
